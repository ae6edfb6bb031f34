#pragma once

#include <memory>

#include "common/result.hpp"
#include "jobs/job_runner.hpp"
#include "jobs/job_runner_config.hpp"

namespace hf::jobs {

// Opens the backend named by config.backend with its options. Neither backend contacts anything
// remote here (the Kubernetes watch connects in the background). Errors: kInvalidArgument for an
// unknown backend or incomplete options (local: state_dir; kubernetes: adapter, image, a usable
// connection), kUnavailable when the local state_dir cannot be created.
Result<std::unique_ptr<JobRunner>> OpenJobRunner(const JobRunnerConfig& config);

}  // namespace hf::jobs
