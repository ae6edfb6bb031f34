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
// configured command. The resource JSON reaches the job as a file of a ConfigMap the Job owns
// (created right after the Job; CreateIfAbsent re-creates it for a running Job that lacks it).
//
// How it copes with a real cluster:
//   - a pod that has not started (unschedulable, ImagePullBackOff, CreateContainerConfigError,
//     ...) is reported pending with that reason and message (Get, CreateIfAbsent of an existing
//     job);
//   - the timeout counts from the container's start: the Job is created with
//     activeDeadlineSeconds = timeout + start_timeout, and once the Job reports a ready pod the
//     runner moves it to (container start - Job start) + timeout (a merge patch), so scheduling
//     and image pulls do not eat into the job's time;
//   - disrupted pods are retried by the Job itself (podFailurePolicy), and a Job that failed
//     without a result (a crash, OOM kill) is deleted and created once more (attempt 2, from the
//     same spec and resource JSON) before its failure is reported;
//   - when a finished Job is reported, its result is copied to the Job's annotation
//     kube::kResultAnnotation, so Get and ListByResource know the outcome after the pod is gone;
//   - pods are found by the Job's controller-uid, never by its name (a Job re-created under the
//     same name has other pods);
//   - lists are paged; 429s wait for Retry-After (kube::KubeClient).
//
// A watch on the adapter's Jobs (label selector kube::AdapterSelector) drives OnFinished: a Job
// that finishes while the runner runs is reported once, as soon as the API server says so. The
// watch resumes from its last resourceVersion after a dropped stream (with backoff) and relists
// after 410 Gone; Jobs that finished in the gap are reported by the relist. Jobs already
// finished when the runner starts are not reported (as with the local runner).
//
// Errors: kUnavailable / kDeadlineExceeded for 408/429/5xx, 403s for an exceeded quota or a
// terminating namespace, timeouts and transport failures (retry later); kPermissionDenied,
// kUnauthenticated, kInvalidArgument for other 4xx (object refused, credentials, RBAC) and
// kUnprocessable for 422 (object invalid), all carrying the API server's message.
class KubernetesJobRunner final : public JobRunner {
 public:
  // Resolves the connection and starts the watch. Does not contact the API server (the watch
  // retries in the background). The image defaults to kube::JobImage (the adapter's own).
  // Errors: kInvalidArgument for a bad config or no image.
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
  // "" while watching; else why not (the last list or watch error).
  bool FinishedJobsExpire() const override { return true; }  // ttlSecondsAfterFinished
  std::string NotReadyReason() const override;

 private:
  // A Job's state and where its result came from.
  struct Described {
    JobState state;
    kube::PodResult result = kube::PodResult::kNone;
    std::string message;           // the termination message read from a pod
    bool from_annotation = false;  // the result annotation decided it (no pods were read)
  };

  KubernetesJobRunner(KubernetesJobRunnerOptions options, kube::KubeConnection connection,
                      std::string namespace_name);
  std::string JobsPath() const;
  std::string PodsPath() const;
  // The Job's state with what its pods add (kube::ApplyPods) unless its result annotation
  // already tells the outcome.
  Result<Described> Describe(const nlohmann::json& job);
  Result<std::optional<nlohmann::json>> GetJob(const std::string& kube_name);
  // Creates the resource ConfigMap of a created Job; one that exists already is fine.
  Result<void> CreateConfigMap(const nlohmann::json& job, std::string_view resource_json);
  // Merge-patches Job `kube_name`.
  Result<void> Patch(const std::string& kube_name, const nlohmann::json& patch);
  // Deletes the failed Job `job` and creates it again as attempt 2 with the same resource JSON.
  // False (logged) when that was not possible; the failure is then reported as it is.
  bool Recreate(const nlohmann::json& job);

  void WatchLoop();
  // Lists the Jobs and records which finished ones to report; returns the list's
  // resourceVersion.
  Result<std::string> Relist(bool first);
  // Handles one watched Job (ADDED/MODIFIED): reports it if it finished and was not yet; moves
  // the deadline of one whose pod has just started.
  void Observe(const nlohmann::json& job);
  void StartDeadline(const nlohmann::json& job);
  void Report(const nlohmann::json& job);
  void SetWatching(bool watching, std::string why = "");

  const KubernetesJobRunnerOptions options_;
  const std::string namespace_;
  kube::KubeClient client_;
  StopSignal stop_;  // set by the destructor; ends the watch and its backoff waits
  std::atomic<bool> watching_{false};

  mutable std::mutex mu_;  // guards the members below
  std::function<void(const JobState&)> on_finished_;
  std::string not_watching_why_;
  std::set<std::string> reported_;      // uids of finished Jobs already called back (or
                                        // pre-existing)
  std::set<std::string> created_here_;  // jobs this runner created (reported even if the first
                                        // list already shows them finished)

  std::thread watcher_;  // last: starts after the members above exist
};

}  // namespace hf::jobs
