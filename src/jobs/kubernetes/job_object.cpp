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

json BuildJobManifest(const JobSpec& spec, std::string_view adapter,
                      std::string_view namespace_name, const PodSettings& pod) {
  const std::string name = KubeJobName(spec.name);
  json labels = {{std::string(kManagedByLabel), kManagedByValue},
                 {std::string(kAdapterLabel), KubeLabelValue(adapter)},
                 {std::string(kResourceIdLabel), KubeLabelValue(spec.resource_id)}};
  json annotations = {{std::string(kGenerationAnnotation), std::to_string(spec.generation)},
                      {std::string(kResourceIdAnnotation), spec.resource_id},
                      {std::string(kJobNameAnnotation), spec.name}};

  std::map<std::string, std::string> env = spec.env;
  env["CLUSTER_ID"] = spec.resource_id;
  env["GENERATION"] = std::to_string(spec.generation);
  env["JOB_NAME"] = name;
  env["CLUSTER_JSON_CONTENT"] = spec.resource_json;
  env["RESULT_FILE"] = std::string(kTerminationLog);
  json env_list = json::array();
  for (const auto& [k, v] : env) env_list.push_back({{"name", k}, {"value", v}});

  json container = {{"name", "job"},
                    {"image", pod.image},
                    {"env", env_list},
                    {"terminationMessagePath", kTerminationLog},
                    {"terminationMessagePolicy", "FallbackToLogsOnError"}};
  if (!pod.command.empty()) container["command"] = pod.command;
  if (!pod.args.empty()) container["args"] = pod.args;
  json resources = json::object();
  if (!pod.requests.empty()) resources["requests"] = pod.requests;
  if (!pod.limits.empty()) resources["limits"] = pod.limits;
  if (!resources.empty()) container["resources"] = resources;

  json pod_spec = {{"restartPolicy", "Never"}, {"containers", json::array({container})}};
  if (!pod.service_account.empty()) pod_spec["serviceAccountName"] = pod.service_account;

  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
      spec.timeout + std::chrono::milliseconds(999));
  json job_spec = {{"backoffLimit", pod.backoff_limit},
                   {"activeDeadlineSeconds", std::max<int64_t>(1, seconds.count())},
                   {"template", {{"metadata", {{"labels", labels}}}, {"spec", pod_spec}}}};
  if (pod.ttl_seconds_after_finished) {
    job_spec["ttlSecondsAfterFinished"] = *pod.ttl_seconds_after_finished;
  }
  return {{"apiVersion", "batch/v1"},
          {"kind", "Job"},
          {"metadata",
           {{"name", name},
            {"namespace", namespace_name},
            {"labels", labels},
            {"annotations", annotations}}},
          {"spec", job_spec}};
}

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

  const json& conditions = Field(status, "conditions");
  if (conditions.is_array()) {
    for (const auto& c : conditions) {
      if (Text(c, "status") != "True") continue;
      const std::string type = Text(c, "type");
      if (type != "Complete" && type != "Failed") continue;
      s.phase = type == "Complete" ? JobPhase::kSucceeded : JobPhase::kFailed;
      s.reason = Text(c, "reason");
      s.message = Text(c, "message");
      s.finished_time = TimeOf(c, "lastTransitionTime");
      break;
    }
  }
  if (Finished(s.phase)) {
    if (auto done = TimeOf(status, "completionTime")) s.finished_time = done;
    if (s.reason.empty()) s.reason = s.phase == JobPhase::kSucceeded ? "Completed" : "Failed";
    if (s.phase == JobPhase::kSucceeded && s.reason != "Completed") {
      s.reason = "Completed";  // e.g. "CompletionsReached" on newer API servers
    }
  } else {
    const json& active = Field(status, "active");
    s.phase =
        active.is_number() && active.get<int64_t>() > 0 ? JobPhase::kRunning : JobPhase::kPending;
  }
  return s;
}

void ApplyPods(JobState& state, const json& pod_list) {
  const json& items = Field(pod_list, "items");
  if (!items.is_array()) return;
  // The terminated container that finished last.
  const json* best = nullptr;
  std::string best_time;
  for (const auto& pod : items) {
    const json& statuses = Field(Field(pod, "status"), "containerStatuses");
    if (!statuses.is_array()) continue;
    for (const auto& cs : statuses) {
      const json& terminated = Field(Field(cs, "state"), "terminated");
      if (!terminated.is_object()) continue;
      const std::string at = Text(terminated, "finishedAt");
      if (best == nullptr || at > best_time) {
        best = &terminated;
        best_time = at;
      }
    }
  }
  if (best == nullptr) return;
  if (Field(*best, "exitCode").is_number_integer())
    state.exit_code = (*best)["exitCode"].get<int>();
  if (!Finished(state.phase)) return;
  const std::string message = Text(*best, "message");
  if (auto result = ParseJobResult(message)) {
    state.data = std::move(result->data);
    if (state.phase == JobPhase::kFailed && state.reason == "DeadlineExceeded") return;
    state.phase = result->phase;
    state.reason = std::move(result->reason);
    state.message = std::move(result->message);
    return;
  }
  if (state.phase == JobPhase::kFailed && !message.empty()) {
    std::string tail = message;
    while (!tail.empty() && std::isspace(static_cast<unsigned char>(tail.back()))) tail.pop_back();
    if (tail.size() > kMaxMessageTail) tail = "..." + tail.substr(tail.size() - kMaxMessageTail);
    state.message += (state.message.empty() ? "" : "; ") + std::string("output: ") + tail;
  }
}

}  // namespace hf::jobs::kube
