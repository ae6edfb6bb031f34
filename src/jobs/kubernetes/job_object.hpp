#pragma once

// The batch/v1 Job objects the Kubernetes runner creates, and how it reads them back: names,
// labels, the manifest, and the JobState a Job (and its pods) stand for.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
inline constexpr std::string_view kTerminationLog = "/dev/termination-log";

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
  std::string image;
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::string service_account;                  // empty: the namespace's default
  std::map<std::string, std::string> requests;  // e.g. cpu: 50m, memory: 32Mi
  std::map<std::string, std::string> limits;
  int backoff_limit = 0;
  std::optional<int> ttl_seconds_after_finished;
};

// The Job manifest for `spec`, named KubeJobName(spec.name). The container gets spec.env plus
// CLUSTER_ID (spec.resource_id), GENERATION, JOB_NAME, CLUSTER_JSON_CONTENT (spec.resource_json)
// and RESULT_FILE=/dev/termination-log; spec.timeout becomes activeDeadlineSeconds (rounded up).
nlohmann::json BuildJobManifest(const JobSpec& spec, std::string_view adapter,
                                std::string_view namespace_name, const PodSettings& pod);

// The state a Job object shows: Complete → succeeded, Failed → failed with the condition's
// reason (DeadlineExceeded, BackoffLimitExceeded, ...), pods active → running, else pending.
JobState StateFromJob(const nlohmann::json& job);

// Adds what the job's pods tell (a PodList of the pods labelled job-name=<job>): the exit code
// and the termination message of the last terminated container. A message that is a job result
// (job_result.hpp) decides the outcome as the local runner's result file does (except a Job
// failed by DeadlineExceeded, which stays so); other text (the log tail, with
// FallbackToLogsOnError) is appended to the message of a failed job.
void ApplyPods(JobState& state, const nlohmann::json& pod_list);

}  // namespace hf::jobs::kube
