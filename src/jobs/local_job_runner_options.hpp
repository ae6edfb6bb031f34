#pragma once

#include <chrono>
#include <string>

#include "common/time.hpp"

namespace hf::jobs {

// How the local runner (local_job_runner.hpp) keeps and watches its jobs.
struct LocalJobRunnerOptions {
  // One directory per job, named after it: state.json, log (stdout+stderr), result.json
  // ($RESULT_FILE) and cluster.json ($CLUSTER_JSON). Created if missing. Required.
  std::string state_dir;
  // A job's end is noticed when its process ends (a pidfd); besides, running jobs are checked
  // this often (their timeouts, and processes the kernel gives no pidfd for).
  Duration poll_interval = std::chrono::milliseconds(50);
  // A job directory without state.json older than this was left by a creator that died between
  // claiming the name and recording itself (microseconds apart when alive): it is taken over.
  Duration launch_grace = std::chrono::seconds(10);
};

}  // namespace hf::jobs
