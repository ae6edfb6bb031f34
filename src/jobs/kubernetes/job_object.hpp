#pragma once

// The batch/v1 Job objects the Kubernetes runner creates, and how it reads them back: names,
// labels, the manifest, and the JobState a Job (and its pods) stand for.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.hpp"
#include "jobs/job_runner.hpp"

namespace hf::jobs::kube {

inline constexpr std::string_view kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr std::string_view kManagedByValue = "hyperfleet";
inline constexpr std::string_view kAdapterLabel = "hyperfleet.io/adapter";
// JobSpec::resource_id (a cluster's or a nodepool's id). The key keeps its first name, cluster-id:
// it is stored on existing Jobs and ListByResource selects by it.
inline constexpr std::string_view kResourceIdLabel = "hyperfleet.io/cluster-id";
inline constexpr std::string_view kGenerationAnnotation = "hyperfleet.io/generation";
inline constexpr std::string_view kResourceIdAnnotation = "hyperfleet.io/cluster-id";
inline constexpr std::string_view kJobNameAnnotation = "hyperfleet.io/job-name";
// JobSpec::timeout in seconds: how long the container may run once it has started.
inline constexpr std::string_view kTimeoutAnnotation = "hyperfleet.io/timeout-seconds";
// Set (to the container's start time) once the runner has moved activeDeadlineSeconds to count
// from the container's start (DeadlinePatch).
inline constexpr std::string_view kStartedAnnotation = "hyperfleet.io/started-at";
// 1 for a Job as first created, 2 for the one re-created after a failure without a result.
inline constexpr std::string_view kAttemptAnnotation = "hyperfleet.io/attempt";
// The job's result (job_result.hpp) as the runner read it from the pod, kept on the Job so it
// outlives the pod (ResultPatch).
inline constexpr std::string_view kResultAnnotation = "hyperfleet.io/result";
inline constexpr std::string_view kTerminationLog = "/dev/termination-log";
// The kubelet keeps at most this many bytes of a termination message: the file's last ones.
inline constexpr size_t kMaxTerminationMessage = 4096;
// Where the job's container finds the resource JSON ($CLUSTER_JSON), from the Job's ConfigMap.
inline constexpr std::string_view kResourceDir = "/etc/hyperfleet/job";
inline constexpr std::string_view kResourceKey = "resource.json";
// The environment variable the adapter's manifests set to the adapter's own image: the default
// Job image (PodSettings::image).
inline constexpr std::string_view kOwnImageEnv = "HYPERFLEET_IMAGE";

// A valid DNS-1123 label (what a Job name must be): 1..63 of [a-z0-9-], alphanumeric at both
// ends.
bool IsDns1123Label(std::string_view name);

// The Kubernetes name for a job name: the name itself when it is already a DNS-1123 label;
// otherwise lower-cased, other characters turned into '-', cut to fit 63 characters with
// "-<8 hex digits of SHA-256 of the original name>" appended. Stable, and the identity on its
// own results, so a name read back from the API maps to itself.
std::string KubeJobName(std::string_view name);

// A label value for `value` (<= 63 of [A-Za-z0-9._-], alphanumeric ends, or empty): the value
// itself when valid, else "h-<16 hex digits of its SHA-256>".
std::string KubeLabelValue(std::string_view value);

// The label selector of every Job of one adapter, e.g.
// "app.kubernetes.io/managed-by=hyperfleet,hyperfleet.io/adapter=dns".
std::string AdapterSelector(std::string_view adapter);

// The container and pod settings shared by all jobs of one runner.
struct PodSettings {
  std::string image;  // empty: JobImage() falls back to $HYPERFLEET_IMAGE
  std::string image_pull_policy = "IfNotPresent";  // Always | IfNotPresent | Never
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::string service_account;                  // empty: the namespace's default
  std::map<std::string, std::string> requests;  // e.g. cpu: 50m, memory: 32Mi
  std::map<std::string, std::string> limits;
  int backoff_limit = 0;
  int ttl_seconds_after_finished = 3600;  // finished Jobs (and their pods) are deleted after this
  // How long scheduling, image pull and container creation may take on top of JobSpec::timeout
  // before Kubernetes gives up on the Job (see BuildJobManifest).
  Duration start_timeout = std::chrono::minutes(10);
};

// The image of the Job containers: pod.image, else $HYPERFLEET_IMAGE (the adapter's own image,
// which the manifests set), else "".
std::string JobImage(const PodSettings& pod);

// The ConfigMap holding the resource JSON of attempt `attempt` of Job `kube_name`.
std::string ResourceConfigMapName(std::string_view kube_name, int attempt);

// The Job manifest for `spec`, named KubeJobName(spec.name), for PodSecurity `restricted`:
// non-root, no privilege escalation, no capabilities, RuntimeDefault seccomp, read-only root
// filesystem, no service-account token. The container gets spec.env plus CLUSTER_ID
// (spec.resource_id), GENERATION, JOB_NAME, CLUSTER_JSON (the resource JSON, a file of the
// ConfigMap ResourceConfigMapName(name, attempt) mounted at kResourceDir; BuildResourceConfigMap)
// and RESULT_FILE=/dev/termination-log. Disrupted pods (evicted, preempted, node lost: the pod
// condition DisruptionTarget) are retried without counting as failures (podFailurePolicy).
// activeDeadlineSeconds starts at spec.timeout + pod.start_timeout (rounded up) and is moved to
// count spec.timeout from the container's start once it runs (DeadlinePatch).
nlohmann::json BuildJobManifest(const JobSpec& spec, std::string_view adapter,
                                std::string_view namespace_name, const PodSettings& pod,
                                int attempt = 1);

// The ConfigMap with `resource_json` that Job `job` (a created Job: it needs its uid) mounts;
// owned by the Job, so the garbage collector deletes it with the Job. Null when the Job mounts no
// resource ConfigMap.
nlohmann::json BuildResourceConfigMap(const nlohmann::json& job, std::string_view resource_json);

// The state a Job object shows: Complete or SuccessCriteriaMet → succeeded, Failed → failed with
// the condition's reason (DeadlineExceeded, BackoffLimitExceeded, ...); FailureTarget (the Job
// will fail once its pods stop) → running with that condition's reason and message; pods active
// → running; else pending. A finished Job with a result annotation (kResultAnnotation) takes its
// outcome from it as ApplyPods would.
JobState StateFromJob(const nlohmann::json& job);

// What the pods of a finished Job said about its result.
enum class PodResult {
  kNone,       // no terminated container, or its message is not a result
  kResult,     // a result (job_result.hpp) decided the outcome
  kTruncated,  // the message was cut at kMaxTerminationMessage: reason ResultTruncated
};

// Adds what the job's pods tell (a PodList of the Job's pods, matched by its controller-uid):
// the exit code and the termination message of the last terminated container. A message that
// is a job result (job_result.hpp) decides the outcome as the local runner's result file does
// (except a Job failed by DeadlineExceeded, which stays so); a message of kMaxTerminationMessage
// bytes that is not one was cut by the kubelet (which keeps the tail) and fails the job with
// reason ResultTruncated; other text (the log tail, with FallbackToLogsOnError) is appended to
// the message of a failed job. Unfinished jobs: a pod that has not started and is stuck (not
// schedulable; a waiting container: ImagePullBackOff, ErrImagePull, CreateContainerConfigError,
// ...) makes the state pending with that reason and message.
PodResult ApplyPods(JobState& state, const nlohmann::json& pod_list);

// The label selector of Job `job`'s pods: its spec.selector.matchLabels (the controller-uid
// label the job controller sets), else batch.kubernetes.io/controller-uid=<its uid>.
std::string PodSelector(const nlohmann::json& job);

// A JSON merge patch (RFC 7386) for Job `job` whose pods are in `pod_list`: once a container has
// started, activeDeadlineSeconds becomes (start - the Job's startTime) + its timeout and
// kStartedAnnotation is set. Null when nothing is to change (not started, or already done).
nlohmann::json DeadlinePatch(const nlohmann::json& job, const nlohmann::json& pod_list);

// A JSON merge patch storing the result text `result` in the Job's kResultAnnotation.
nlohmann::json ResultPatch(std::string_view result);

// The termination message of the last terminated container in `pod_list` ("" if none).
std::string TerminationMessage(const nlohmann::json& pod_list);

// The Job to create again for Job `job` (as read from the API), as attempt `attempt`: its
// metadata (name, labels, annotations) and spec, without what the API server and the job
// controller added (uid, selector, controller-uid labels, status), with the attempt's ConfigMap
// and activeDeadlineSeconds reset to its timeout + `start_timeout`.
nlohmann::json RecreatedJob(const nlohmann::json& job, int attempt, Duration start_timeout);

}  // namespace hf::jobs::kube
