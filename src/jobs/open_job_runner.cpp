#include "jobs/open_job_runner.hpp"

#include "jobs/kubernetes/kubernetes_job_runner.hpp"
#include "jobs/local_job_runner.hpp"

namespace hf::jobs {

Result<std::unique_ptr<JobRunner>> OpenJobRunner(const JobRunnerConfig& config) {
  if (config.backend == kLocalBackend) return HF_TRY(LocalJobRunner::Open(config.local));
  if (config.backend == kKubernetesBackend) {
    return HF_TRY(KubernetesJobRunner::Open(config.kubernetes));
  }
  return Fail(ErrorCode::kInvalidArgument, "unknown job runner '" + config.backend +
                                               "' (expected " + std::string(kLocalBackend) +
                                               " or " + std::string(kKubernetesBackend) + ")");
}

}  // namespace hf::jobs
