#pragma once

#include <string>
#include <string_view>

#include "jobs/kubernetes/kubernetes_job_runner_options.hpp"
#include "jobs/local_job_runner_options.hpp"

namespace hf::jobs {

// The backend names OpenJobRunner knows.
inline constexpr std::string_view kLocalBackend = "local";
inline constexpr std::string_view kKubernetesBackend = "kubernetes";

// Which job runner to open and how (an adapter's `job:` section). Only the options of the named
// backend are read.
struct JobRunnerConfig {
  std::string backend = std::string(kLocalBackend);  // local | kubernetes
  LocalJobRunnerOptions local;
  KubernetesJobRunnerOptions kubernetes;
};

}  // namespace hf::jobs
