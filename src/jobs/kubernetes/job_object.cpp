#include "jobs/kubernetes/job_object.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>

#include "jobs/job_result.hpp"

namespace hf::jobs::kube {
namespace {

using nlohmann::json;

constexpr size_t kMaxName = 63;
constexpr size_t kMaxMessageTail = 1024;  // of a non-JSON termination message

bool Alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

std::string Sha256Hex(std::string_view text, size_t digits) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len && out.size() < digits; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  out.resize(digits);
  return out;
}

bool ValidLabelValue(std::string_view v) {
  if (v.empty()) return true;
  if (v.size() > kMaxName) return false;
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (!alnum(v.front()) || !alnum(v.back())) return false;
  return std::all_of(v.begin(), v.end(),
                     [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

std::string Text(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>()
                                                                : std::string();
}

const json& Field(const json& j, const char* key) {
  static const json kNull;
  return j.is_object() && j.contains(key) ? j[key] : kNull;
}

// Whole seconds, rounded up.
int64_t CeilSeconds(Duration d) {
  return std::chrono::duration_cast<std::chrono::seconds>(d + std::chrono::milliseconds(999))
      .count();
}

std::optional<Time> TimeOf(const json& j, const char* key) {
  auto t = ParseTime(Text(j, key));
  return t ? std::optional<Time>(*t) : std::nullopt;
}

}  // namespace

bool IsDns1123Label(std::string_view name) {
  if (name.empty() || name.size() > kMaxName) return false;
  if (!Alnum(name.front()) || !Alnum(name.back())) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return Alnum(c) || c == '-'; });
}

std::string KubeJobName(std::string_view name) {
  if (IsDns1123Label(name)) return std::string(name);
  std::string out;
  for (char c : name) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.push_back(Alnum(l) ? l : '-');
  }
  const std::string hash = Sha256Hex(name, 8);
  out.resize(std::min(out.size(), kMaxName - hash.size() - 1));
  while (!out.empty() && !Alnum(out.front())) out.erase(out.begin());
  while (!out.empty() && !Alnum(out.back())) out.pop_back();
  if (out.empty()) out = "job";
  return out + "-" + hash;
}

std::string KubeLabelValue(std::string_view value) {
  if (ValidLabelValue(value)) return std::string(value);
  return "h-" + Sha256Hex(value, 16);
}

std::string AdapterSelector(std::string_view adapter) {
  return std::string(kManagedByLabel) + "=" + std::string(kManagedByValue) + "," +
         std::string(kAdapterLabel) + "=" + KubeLabelValue(adapter);
}

std::string JobImage(const PodSettings& pod) {
  if (!pod.image.empty()) return pod.image;
  const char* own = std::getenv(std::string(kOwnImageEnv).c_str());
  return own != nullptr ? own : "";
}

std::string ResourceConfigMapName(std::string_view kube_name, int attempt) {
  return std::string(kube_name) + "-resource-" + std::to_string(attempt);
}

json BuildJobManifest(const JobSpec& spec, std::string_view adapter,
                      std::string_view namespace_name, const PodSettings& pod, int attempt) {
  const std::string name = KubeJobName(spec.name);
  const auto timeout = std::max<int64_t>(1, CeilSeconds(spec.timeout));
  json labels = {{std::string(kManagedByLabel), kManagedByValue},
                 {std::string(kAdapterLabel), KubeLabelValue(adapter)},
                 {std::string(kResourceIdLabel), KubeLabelValue(spec.resource_id)}};
  json annotations = {{std::string(kGenerationAnnotation), std::to_string(spec.generation)},
                      {std::string(kResourceIdAnnotation), spec.resource_id},
                      {std::string(kJobNameAnnotation), spec.name},
                      {std::string(kTimeoutAnnotation), std::to_string(timeout)},
                      {std::string(kAttemptAnnotation), std::to_string(attempt)}};

  std::map<std::string, std::string> env = spec.env;
  env["CLUSTER_ID"] = spec.resource_id;
  env["GENERATION"] = std::to_string(spec.generation);
  env["JOB_NAME"] = name;
  env["CLUSTER_JSON"] = std::string(kResourceDir) + "/" + std::string(kResourceKey);
  env["RESULT_FILE"] = std::string(kTerminationLog);
  json env_list = json::array();
  for (const auto& [k, v] : env) env_list.push_back({{"name", k}, {"value", v}});

  json container = {
      {"name", "job"},
      {"image", JobImage(pod)},
      {"imagePullPolicy", pod.image_pull_policy},
      {"env", env_list},
      {"terminationMessagePath", kTerminationLog},
      {"terminationMessagePolicy", "FallbackToLogsOnError"},
      {"securityContext",
       {{"allowPrivilegeEscalation", false},
        {"readOnlyRootFilesystem", true},
        {"capabilities", {{"drop", json::array({"ALL"})}}}}},
      {"volumeMounts",
       json::array({{{"name", "resource"}, {"mountPath", kResourceDir}, {"readOnly", true}}})}};
  if (!pod.command.empty()) container["command"] = pod.command;
  if (!pod.args.empty()) container["args"] = pod.args;
  json resources = json::object();
  if (!pod.requests.empty()) resources["requests"] = pod.requests;
  if (!pod.limits.empty()) resources["limits"] = pod.limits;
  if (!resources.empty()) container["resources"] = resources;

  json pod_spec = {
      {"restartPolicy", "Never"},
      {"automountServiceAccountToken", false},
      {"enableServiceLinks", false},
      {"securityContext",
       {{"runAsNonRoot", true}, {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
      {"containers", json::array({container})},
      {"volumes",
       json::array({{{"name", "resource"},
                     {"configMap", {{"name", ResourceConfigMapName(name, attempt)}}}}})}};
  if (!pod.service_account.empty()) pod_spec["serviceAccountName"] = pod.service_account;

  json job_spec = {
      {"backoffLimit", pod.backoff_limit},
      {"activeDeadlineSeconds", timeout + CeilSeconds(pod.start_timeout)},
      {"ttlSecondsAfterFinished", pod.ttl_seconds_after_finished},
      {"podFailurePolicy",
       {{"rules", json::array({{{"action", "Ignore"},
                                {"onPodConditions", json::array({{{"type", "DisruptionTarget"},
                                                                  {"status", "True"}}})}}})}}},
      {"template", {{"metadata", {{"labels", labels}}}, {"spec", pod_spec}}}};
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata",
           {{"name", name},
            {"namespace", namespace_name},
            {"labels", labels},
            {"annotations", annotations}}},
          {"spec", job_spec}};
}

json BuildResourceConfigMap(const json& job, std::string_view resource_json) {
  const json& meta = Field(job, "metadata");
  std::string name;
  for (const auto& v : Field(Field(Field(Field(job, "spec"), "template"), "spec"), "volumes")) {
    if (Text(v, "name") == "resource") name = Text(Field(v, "configMap"), "name");
  }
  if (name.empty()) return nullptr;
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata",
           {{"name", name},
            {"namespace", Text(meta, "namespace")},
            {"labels", Field(meta, "labels")},
            {"ownerReferences", json::array({{{"apiVersion", "batch/v1"},
                                              {"kind", "Job"},
                                              {"name", Text(meta, "name")},
                                              {"uid", Text(meta, "uid")}}})}}},
          {"data", {{std::string(kResourceKey), resource_json}}}};
}

namespace {

// Applies a termination message (from a pod, or the result annotation) to a finished job.
PodResult ApplyMessage(JobState& state, const std::string& message) {
  if (auto result = ParseJobResult(message)) {
    state.data = std::move(result->data);
    if (state.phase == JobPhase::kFailed && state.reason == "DeadlineExceeded") {
      return PodResult::kResult;
    }
    state.phase = result->phase;
    state.reason = std::move(result->reason);
    state.message = std::move(result->message);
    return PodResult::kResult;
  }
  if (message.size() >= kMaxTerminationMessage) {
    state.phase = JobPhase::kFailed;
    state.reason = "ResultTruncated";
    state.message = "the job's result is longer than the " +
                    std::to_string(kMaxTerminationMessage) +
                    " bytes Kubernetes keeps of a termination message (the kubelet kept its "
                    "end only); write less to $RESULT_FILE";
    state.data = nullptr;
    return PodResult::kTruncated;
  }
  if (state.phase == JobPhase::kFailed && !message.empty()) {
    std::string tail = message;
    while (!tail.empty() && std::isspace(static_cast<unsigned char>(tail.back()))) tail.pop_back();
    if (tail.size() > kMaxMessageTail) tail = "..." + tail.substr(tail.size() - kMaxMessageTail);
    state.message += (state.message.empty() ? "" : "; ") + std::string("output: ") + tail;
  }
  return PodResult::kNone;
}

// Whether the pod was disrupted (evicted, preempted, its node lost): its end is not the job's.
bool Disrupted(const json& pod) {
  for (const auto& c : Field(Field(pod, "status"), "conditions")) {
    if (Text(c, "type") == "DisruptionTarget" && Text(c, "status") == "True") return true;
  }
  return false;
}

// The terminated state of the container that finished last (of a pod not disrupted), or null.
const json* LastTerminated(const json& pod_list) {
  const json* best = nullptr;
  std::string best_time;
  for (const auto& pod : Field(pod_list, "items")) {
    if (Disrupted(pod)) continue;
    for (const auto& cs : Field(Field(pod, "status"), "containerStatuses")) {
      const json& terminated = Field(Field(cs, "state"), "terminated");
      if (!terminated.is_object()) continue;
      const std::string at = Text(terminated, "finishedAt");
      if (best == nullptr || at > best_time) {
        best = &terminated;
        best_time = at;
      }
    }
  }
  return best;
}

// The earliest start of a container of `pod_list` that runs or ran ("" if none started).
std::string ContainerStart(const json& pod_list) {
  std::string first;
  for (const auto& pod : Field(pod_list, "items")) {
    for (const auto& cs : Field(Field(pod, "status"), "containerStatuses")) {
      const json& state = Field(cs, "state");
      for (const char* which : {"running", "terminated"}) {
        const std::string at = Text(Field(state, which), "startedAt");
        if (!at.empty() && (first.empty() || at < first)) first = at;
      }
    }
  }
  return first;
}

// Container waiting reasons that mean "not starting" rather than "about to start".
bool Stuck(const std::string& reason) {
  return !reason.empty() && reason != "ContainerCreating" && reason != "PodInitializing";
}

// Makes an unfinished job pending with the reason its pod does not start, if it is stuck.
void ApplyStuckPods(JobState& state, const json& pod_list) {
  if (!ContainerStart(pod_list).empty()) return;
  for (const auto& pod : Field(pod_list, "items")) {
    const json& status = Field(pod, "status");
    if (Text(status, "phase") != "Pending") continue;
    for (const auto& cs : Field(status, "containerStatuses")) {
      const json& waiting = Field(Field(cs, "state"), "waiting");
      if (Stuck(Text(waiting, "reason"))) {
        state.phase = JobPhase::kPending;
        state.reason = Text(waiting, "reason");
        state.message = Text(waiting, "message");
        return;
      }
    }
    for (const auto& c : Field(status, "conditions")) {
      if (Text(c, "type") == "PodScheduled" && Text(c, "status") == "False") {
        state.phase = JobPhase::kPending;
        state.reason = Text(c, "reason").empty() ? "Unschedulable" : Text(c, "reason");
        state.message = Text(c, "message");
        return;
      }
    }
  }
}

}  // namespace

JobState StateFromJob(const json& job) {
  const json& meta = Field(job, "metadata");
  const json& annotations = Field(meta, "annotations");
  const json& labels = Field(meta, "labels");
  const json& status = Field(job, "status");
  JobState s;
  s.name = Text(meta, "name");
  s.resource_id = Text(annotations, std::string(kResourceIdAnnotation).c_str());
  if (s.resource_id.empty()) s.resource_id = Text(labels, std::string(kResourceIdLabel).c_str());
  try {
    s.generation = std::stoll(Text(annotations, std::string(kGenerationAnnotation).c_str()));
  } catch (const std::exception&) {
    s.generation = 0;
  }
  s.created_time = TimeOf(meta, "creationTimestamp").value_or(Time{});

  const json* failing = nullptr;  // FailureTarget: the Job fails once its pods have stopped
  for (const auto& c : Field(status, "conditions")) {
    if (Text(c, "status") != "True") continue;
    const std::string type = Text(c, "type");
    if (type == "FailureTarget") failing = &c;
    if (type != "Complete" && type != "SuccessCriteriaMet" && type != "Failed") continue;
    s.phase = type == "Failed" ? JobPhase::kFailed : JobPhase::kSucceeded;
    s.reason = Text(c, "reason");
    s.message = Text(c, "message");
    s.finished_time = TimeOf(c, "lastTransitionTime");
    if (type != "SuccessCriteriaMet") break;  // Complete follows it; prefer Complete's time
  }
  if (Finished(s.phase)) {
    if (auto done = TimeOf(status, "completionTime")) s.finished_time = done;
    if (s.reason.empty()) s.reason = s.phase == JobPhase::kSucceeded ? "Completed" : "Failed";
    if (s.phase == JobPhase::kSucceeded && s.reason != "Completed") {
      s.reason = "Completed";  // e.g. "CompletionsReached" on newer API servers
    }
    const std::string result = Text(annotations, std::string(kResultAnnotation).c_str());
    if (!result.empty()) ApplyMessage(s, result);
  } else if (failing != nullptr) {
    s.phase = JobPhase::kRunning;
    s.reason = Text(*failing, "reason");
    s.message = "failing, waiting for its pods to stop: " + Text(*failing, "message");
  } else {
    const json& active = Field(status, "active");
    s.phase =
        active.is_number() && active.get<int64_t>() > 0 ? JobPhase::kRunning : JobPhase::kPending;
  }
  return s;
}

PodResult ApplyPods(JobState& state, const json& pod_list) {
  if (!Finished(state.phase)) {
    ApplyStuckPods(state, pod_list);
    return PodResult::kNone;
  }
  const json* last = LastTerminated(pod_list);
  if (last == nullptr) return PodResult::kNone;
  if (Field(*last, "exitCode").is_number_integer())
    state.exit_code = (*last)["exitCode"].get<int>();
  return ApplyMessage(state, Text(*last, "message"));
}

std::string TerminationMessage(const json& pod_list) {
  const json* last = LastTerminated(pod_list);
  return last == nullptr ? std::string() : Text(*last, "message");
}

std::string PodSelector(const json& job) {
  const json& match = Field(Field(Field(job, "spec"), "selector"), "matchLabels");
  std::string out;
  if (match.is_object()) {
    for (const auto& [k, v] : match.items()) {
      if (!v.is_string()) continue;
      out += (out.empty() ? "" : ",") + k + "=" + v.get<std::string>();
    }
  }
  if (!out.empty()) return out;
  return "batch.kubernetes.io/controller-uid=" + Text(Field(job, "metadata"), "uid");
}

json DeadlinePatch(const json& job, const json& pod_list) {
  const json& annotations = Field(Field(job, "metadata"), "annotations");
  if (!Text(annotations, std::string(kStartedAnnotation).c_str()).empty()) return nullptr;
  const std::string started = ContainerStart(pod_list);
  const auto started_at = ParseTime(started);
  const auto job_start = TimeOf(Field(job, "status"), "startTime");
  int64_t timeout = 0;
  try {
    timeout = std::stoll(Text(annotations, std::string(kTimeoutAnnotation).c_str()));
  } catch (const std::exception&) {
    return nullptr;  // not a Job of ours, or made before the annotation existed
  }
  if (!started_at || !job_start) return nullptr;
  const int64_t waited = std::max<int64_t>(
      0, std::chrono::duration_cast<std::chrono::seconds>(*started_at - *job_start).count());
  return {{"metadata", {{"annotations", {{std::string(kStartedAnnotation), started}}}}},
          {"spec", {{"activeDeadlineSeconds", waited + timeout}}}};
}

json ResultPatch(std::string_view result) {
  return {{"metadata", {{"annotations", {{std::string(kResultAnnotation), result}}}}}};
}

json RecreatedJob(const json& job, int attempt, Duration start_timeout) {
  const json& meta = Field(job, "metadata");
  json labels = Field(meta, "labels");
  json annotations = Field(meta, "annotations");
  if (!annotations.is_object()) annotations = json::object();
  annotations.erase(std::string(kStartedAnnotation));
  annotations.erase(std::string(kResultAnnotation));
  annotations[std::string(kAttemptAnnotation)] = std::to_string(attempt);
  json spec = Field(job, "spec");
  spec.erase("selector");
  json& template_labels = spec["template"]["metadata"]["labels"];
  for (const char* added : {"controller-uid", "batch.kubernetes.io/controller-uid", "job-name",
                            "batch.kubernetes.io/job-name"}) {
    if (template_labels.is_object()) template_labels.erase(added);
  }
  const std::string name = Text(meta, "name");
  for (auto& v : spec["template"]["spec"]["volumes"]) {
    if (Text(v, "name") == "resource")
      v["configMap"]["name"] = ResourceConfigMapName(name, attempt);
  }
  // The start allowance applies to the new pod as well.
  try {
    spec["activeDeadlineSeconds"] =
        std::stoll(Text(annotations, std::string(kTimeoutAnnotation).c_str())) +
        CeilSeconds(start_timeout);
  } catch (const std::exception&) {
  }
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata",
           {{"name", name},
            {"namespace", Text(meta, "namespace")},
            {"labels", labels},
            {"annotations", annotations}}},
          {"spec", spec}};
}

}  // namespace hf::jobs::kube
