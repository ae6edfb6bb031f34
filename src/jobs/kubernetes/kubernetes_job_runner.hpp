#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "common/backoff.hpp"
#include "jobs/job_runner.hpp"
#include "jobs/kubernetes/kube_client.hpp"
#include "jobs/kubernetes/kubernetes_job_runner_options.hpp"

namespace hf::jobs {

// Runs each job as a batch/v1 Job in one namespace (see kube::BuildJobManifest for the object;
// names go through kube::KubeJobName, so JobState::name is the Kubernetes name and may differ
// from JobSpec::name). JobSpec::argv and workdir are ignored: the container runs the image's
// configured command.
//
// A watch on the adapter's Jobs (label selector kube::AdapterSelector) drives OnFinished: a Job
// that finishes while the runner runs is reported once, as soon as the API server says so. The
// watch resumes from its last resourceVersion after a dropped stream (with backoff) and relists
// after 410 Gone; Jobs that finished in the gap are reported by the relist. Jobs already
// finished when the runner starts are not reported (as with the local runner).
//
// Errors: kUnavailable / kDeadlineExceeded for 408/429/5xx, timeouts and transport failures
// (retry later); kInvalidArgument for 400/401/403 (object refused, credentials, RBAC) and
// kUnprocessable for 422 (object invalid), both carrying the API server's message.
class KubernetesJobRunner final : public JobRunner {
 public:
  // Resolves the connection and starts the watch. Does not contact the API server (the watch
  // retries in the background). Errors: kInvalidArgument for a bad config.
  static Result<std::unique_ptr<KubernetesJobRunner>> Open(KubernetesJobRunnerOptions options);
  ~KubernetesJobRunner() override;  // stops the watch; Jobs keep running

  Result<Created> CreateIfAbsent(const JobSpec& spec) override;
  Result<std::optional<JobState>> Get(const std::string& name) override;
  Result<void> Delete(const std::string& name) override;
  // From the Job objects alone (no pod lookups: reason/message of finished jobs are the Job's).
  Result<std::vector<JobState>> ListByResource(const std::string& resource_id) override;
  void OnFinished(std::function<void(const JobState&)> callback) override;

  const std::string& namespace_name() const { return namespace_; }
  // True once the watch has listed the Jobs and is streaming (for tests and readiness).
  bool Watching() const { return watching_; }

 private:
  KubernetesJobRunner(KubernetesJobRunnerOptions options, kube::KubeConnection connection,
                      std::string namespace_name);
  std::string JobsPath() const;
  // The Job's state including its pods' termination message when it has finished.
  Result<JobState> Describe(const nlohmann::json& job);
  Result<std::optional<JobState>> Fetch(const std::string& kube_name);

  void WatchLoop();
  // Lists the Jobs and records which finished ones to report; returns the list's
  // resourceVersion.
  Result<std::string> Relist(bool first);
  // Handles one watched Job (ADDED/MODIFIED): reports it if it finished and was not yet.
  void Observe(const nlohmann::json& job);
  void Report(const nlohmann::json& job);

  const KubernetesJobRunnerOptions options_;
  const std::string namespace_;
  kube::KubeClient client_;
  StopSignal stop_;  // set by the destructor; ends the watch and its backoff waits
  std::atomic<bool> watching_{false};

  std::mutex mu_;  // guards the members below
  std::function<void(const JobState&)> on_finished_;
  std::set<std::string> reported_;      // finished jobs already called back (or pre-existing)
  std::set<std::string> created_here_;  // jobs this runner created (reported even if the first
                                        // list already shows them finished)

  std::thread watcher_;  // last: starts after the members above exist
};

}  // namespace hf::jobs
