#pragma once

#include <sys/types.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "jobs/job_runner.hpp"
#include "jobs/local_job_runner_options.hpp"

namespace hf::jobs {

// Runs each job as a child process in its own process group, with the spec's env plus
// CLUSTER_ID (the spec's resource_id), GENERATION, CLUSTER_JSON (a file holding resource_json),
// RESULT_FILE and JOB_NAME. The job ends when its process exits; then any processes left in its
// group are killed. Past its timeout the whole group is killed (SIGKILL) and the job fails
// "TimedOut". The outcome is the result file (job_result.hpp) when the job wrote one, else the
// exit code.
//
// Creation is atomic by name: the job's directory is claimed by renaming a fully written one into
// place, so one name never runs twice, also across threads, processes and replicas sharing
// state_dir on one host. state.json records the job's resource as "resource_id"; files written
// before the rename of that key ("cluster_id") are still read.
//
// Restarts: stopping the runner (or its process) leaves running jobs running. A runner that
// finds a running job whose owning process is gone adopts it: it watches the pid (and kills the
// group at the recorded deadline); when the pid is gone the job finishes from its result file,
// or fails "AdapterRestarted" if it wrote none (its exit code cannot be known). Jobs are never
// re-run by the runner; a claim whose claimer died before starting its process never ran, so it
// reads as absent and the next CreateIfAbsent starts it.
class LocalJobRunner final : public JobRunner {
 public:
  // Creates state_dir, adopts orphaned running jobs and starts the watcher thread. Errors:
  // kInvalidArgument if state_dir is empty, kUnavailable if it cannot be created.
  static Result<std::unique_ptr<LocalJobRunner>> Open(LocalJobRunnerOptions options);
  // Stops watching; running jobs keep running (see above).
  ~LocalJobRunner() override;

  Result<Created> CreateIfAbsent(const JobSpec& spec) override;
  Result<std::optional<JobState>> Get(const std::string& name) override;
  Result<void> Delete(const std::string& name) override;
  Result<std::vector<JobState>> ListByResource(const std::string& resource_id) override;
  void OnFinished(std::function<void(const JobState&)> callback) override;

 private:
  struct Watched {
    pid_t pid = 0;
    uint64_t pid_start = 0;  // /proc start time, guards against pid reuse
    int exit_fd = -1;        // readable when the process ends (owned; -1: none, poll only)
    bool deleted = false;    // reap only: no state write, no callback
    bool timed_out = false;
    Time deadline{};
  };

  explicit LocalJobRunner(LocalJobRunnerOptions options);
  std::string Dir(const std::string& name) const;
  Result<std::optional<JobState>> Read(const std::string& name, bool adopt);
  void Adopt(const std::string& name, const nlohmann::json& state);
  // True when the runner that wrote `state` (its owner_* fields) no longer exists.
  bool OwnerGone(const nlohmann::json& state) const;
  // True when the job was claimed but its claimer died before starting it (no state.json after
  // launch_grace, or "pending" with its owner gone and no log file: the process never spawned).
  bool Abandoned(const std::string& name) const;
  // Removes an abandoned claim so the name can be claimed again; serialised across processes by
  // a lock file, and re-checked under it. Returns whether it removed the claim.
  Result<bool> ReleaseAbandoned(const std::string& name);
  // Wakes the watcher (a job to watch was added, or stopping).
  void Wake();
  // Checks the watched jobs whenever one of their processes ends, a job is added, and every
  // poll_interval (timeouts, and processes without an exit descriptor).
  void WatchLoop();
  // Records the outcome of a job whose process has ended; `wait_status` is absent for jobs
  // adopted from another process (not our child). Returns the final state.
  JobState Finish(const std::string& name, const Watched& w, std::optional<int> wait_status);

  const LocalJobRunnerOptions options_;
  const pid_t self_pid_;
  const uint64_t self_start_;
  const uint64_t token_;  // this instance, among the runners of this process
  std::atomic<uint64_t> staging_counter_{0};

  const int wake_fd_;  // an eventfd the watcher polls with the exit descriptors; -1: none

  std::mutex mu_;  // guards everything below
  bool stopping_ = false;
  std::map<std::string, Watched> watched_;
  std::function<void(const JobState&)> on_finished_;

  std::thread watcher_;  // last: starts after the members above exist
};

}  // namespace hf::jobs
