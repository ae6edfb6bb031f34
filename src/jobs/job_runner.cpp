#include "jobs/job_runner.hpp"

namespace hf::jobs {

std::string_view ToString(JobPhase phase) {
  switch (phase) {
    case JobPhase::kPending:
      return "pending";
    case JobPhase::kRunning:
      return "running";
    case JobPhase::kSucceeded:
      return "succeeded";
    case JobPhase::kFailed:
      return "failed";
  }
  return "pending";
}

}  // namespace hf::jobs
