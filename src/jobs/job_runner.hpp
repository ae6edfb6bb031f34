#pragma once

// The jobs component's interface: a job is one run of an adapter's work for one resource (a
// cluster or a nodepool) at one generation, found by its unique name. Callers open a runner with
// OpenJobRunner (open_job_runner.hpp); the backends are local (child processes,
// local_job_runner.hpp) and kubernetes (batch/v1 Jobs, kubernetes/kubernetes_job_runner.hpp).

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "common/time.hpp"

namespace hf::jobs {

enum class JobPhase {
  kPending,  // claimed by name, not started yet (or its launch is in progress)
  kRunning,
  kSucceeded,
  kFailed,
};
std::string_view ToString(JobPhase phase);
inline bool Finished(JobPhase p) { return p == JobPhase::kSucceeded || p == JobPhase::kFailed; }

// What to run. `name` must be a file-name-safe string ([A-Za-z0-9._-], not starting with '.').
struct JobSpec {
  std::string name;
  std::string resource_id;  // the cluster or nodepool the job works on; ListByResource's key
  int64_t generation = 0;
  std::string resource_json;               // handed to the job ($CLUSTER_JSON, see the backends)
  std::vector<std::string> argv;           // argv[0]: a path, or a name looked up on $PATH
  std::map<std::string, std::string> env;  // added to the runner's own environment
  std::string workdir;                     // empty: the runner's current directory
  Duration timeout = std::chrono::minutes(10);
};

// A job as last observed.
struct JobState {
  std::string name;
  std::string resource_id;
  int64_t generation = 0;
  JobPhase phase = JobPhase::kPending;
  std::string reason;   // finished jobs: from the job's result (job_result.hpp), or derived from
  std::string message;  // how it ended (exit code, timeout)
  nlohmann::json data;  // the result's `data`, null when absent
  std::optional<int> exit_code;
  Time created_time{};
  std::optional<Time> finished_time;
};

// Runs jobs and keeps their state. Thread-safe.
class JobRunner {
 public:
  virtual ~JobRunner() = default;

  struct Created {
    JobState state;
    bool created = false;  // false: a job with this name already existed and was left alone
  };
  // Starts the job unless one with spec.name exists. Atomic across threads, processes and
  // replicas sharing the runner's storage: one name never runs twice. Errors: kInvalidArgument
  // (bad name or spec), kUnavailable (the runner's storage is not usable; retry later). A command
  // that cannot be started is not an error: the job is recorded as failed.
  virtual Result<Created> CreateIfAbsent(const JobSpec& spec) = 0;
  // The job's state, or nullopt if there is none by that name.
  virtual Result<std::optional<JobState>> Get(const std::string& name) = 0;
  // Kills the job if it runs and forgets it. Absent jobs are fine.
  virtual Result<void> Delete(const std::string& name) = 0;
  // Every job of one resource (JobSpec::resource_id), any generation.
  virtual Result<std::vector<JobState>> ListByResource(const std::string& resource_id) = 0;
  // Called (from a runner thread, once per job) when a job this runner watches finishes. Set it
  // before creating jobs; it must not block for long.
  virtual void OnFinished(std::function<void(const JobState&)> callback) = 0;
  // For readiness: "" when the runner can see jobs finish; else why it cannot (e.g. its watch
  // of the Kubernetes API is down). The default: always ready.
  virtual std::string NotReadyReason() const { return {}; }
  // True when finished jobs disappear on their own (a Kubernetes Job's TTL), so a job absent
  // now may have run already: the caller must know its outcome some other way.
  virtual bool FinishedJobsExpire() const { return false; }
};

}  // namespace hf::jobs
