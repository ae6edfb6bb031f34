#include "jobs/kubernetes/kubernetes_job_runner.hpp"

#include "common/http_message.hpp"
#include "common/log.hpp"

namespace hf::jobs {
namespace {

using nlohmann::json;

const log::Logger kLog{"jobs"};
constexpr const char* kMergePatch = "application/merge-patch+json";

std::string MetaText(const json& object, const char* key) {
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) {
    return {};
  }
  const json& meta = object["metadata"];
  return meta.contains(key) && meta[key].is_string() ? meta[key].get<std::string>() : "";
}

std::string UidOf(const json& object) { return MetaText(object, "uid"); }

bool HasAnnotation(const json& object, std::string_view key) {
  const json* meta =
      object.is_object() && object.contains("metadata") ? &object["metadata"] : nullptr;
  if (meta == nullptr || !meta->is_object() || !meta->contains("annotations")) return false;
  const json& annotations = (*meta)["annotations"];
  return annotations.is_object() && annotations.contains(std::string(key));
}

int AttemptOf(const json& job) {
  try {
    return std::stoi(job.at("metadata")
                         .at("annotations")
                         .at(std::string(kube::kAttemptAnnotation))
                         .get<std::string>());
  } catch (const std::exception&) {
    return 1;
  }
}

}  // namespace

Result<std::unique_ptr<KubernetesJobRunner>> KubernetesJobRunner::Open(
    KubernetesJobRunnerOptions options) {
  if (options.adapter.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "kubernetes runner: the adapter name is required");
  }
  options.pod.image = kube::JobImage(options.pod);
  if (options.pod.image.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "kubernetes runner: no image: set job.kubernetes.image, or $" +
                    std::string(kube::kOwnImageEnv) + " to the adapter's own image");
  }
  kube::KubeConnection connection;
  if (options.connection) {
    connection = *options.connection;
  } else {
    connection = HF_TRY(kube::ResolveConnection(options.kubeconfig, options.in_cluster));
  }
  std::string ns = options.namespace_name;
  if (ns.empty()) ns = connection.default_namespace;
  if (ns.empty()) ns = "default";
  if (!kube::IsDns1123Label(ns)) {
    return Fail(ErrorCode::kInvalidArgument,
                "kubernetes runner: namespace '" + ns + "' is not a valid DNS-1123 label");
  }
  kLog.Info("kubernetes job runner", {{"adapter", options.adapter},
                                      {"namespace", ns},
                                      {"server", connection.server},
                                      {"config", connection.source}});
  return std::unique_ptr<KubernetesJobRunner>(
      new KubernetesJobRunner(std::move(options), std::move(connection), std::move(ns)));
}

KubernetesJobRunner::KubernetesJobRunner(KubernetesJobRunnerOptions options,
                                         kube::KubeConnection connection,
                                         std::string namespace_name)
    : options_(std::move(options)),
      namespace_(std::move(namespace_name)),
      client_(std::move(connection),
              {.timeout = options_.request_timeout, .page_size = options_.page_size}),
      watcher_([this] { WatchLoop(); }) {}

KubernetesJobRunner::~KubernetesJobRunner() {
  stop_.Stop();
  watcher_.join();
}

void KubernetesJobRunner::OnFinished(std::function<void(const JobState&)> callback) {
  std::lock_guard lock(mu_);
  on_finished_ = std::move(callback);
}

std::string KubernetesJobRunner::NotReadyReason() const {
  if (watching_) return {};
  std::lock_guard lock(mu_);
  return "not watching Kubernetes Jobs in namespace " + namespace_ +
         (not_watching_why_.empty() ? "" : ": " + not_watching_why_);
}

void KubernetesJobRunner::SetWatching(bool watching, std::string why) {
  std::lock_guard lock(mu_);
  watching_ = watching;
  not_watching_why_ = std::move(why);
}

std::string KubernetesJobRunner::JobsPath() const {
  return "/apis/batch/v1/namespaces/" + namespace_ + "/jobs";
}

std::string KubernetesJobRunner::PodsPath() const {
  return "/api/v1/namespaces/" + namespace_ + "/pods";
}

Result<KubernetesJobRunner::Described> KubernetesJobRunner::Describe(const json& job) {
  Described d;
  d.state = kube::StateFromJob(job);
  if (Finished(d.state.phase) && HasAnnotation(job, kube::kResultAnnotation)) {
    d.from_annotation = true;
    return d;
  }
  auto pods =
      HF_TRY(client_.List(PodsPath(), kube::PodSelector(job), "list pods of job " + d.state.name));
  json list = {{"items", std::move(pods.items)}};
  d.result = kube::ApplyPods(d.state, list);
  if (Finished(d.state.phase)) d.message = kube::TerminationMessage(list);
  return d;
}

Result<std::optional<json>> KubernetesJobRunner::GetJob(const std::string& kube_name) {
  auto r = HF_TRY(client_.Send("GET", JobsPath() + "/" + kube_name));
  if (r.status == 404) return std::optional<json>();
  if (r.status != 200) return Fail(kube::ApiError(r, "get job " + kube_name));
  return std::optional<json>(std::move(r.body));
}

Result<void> KubernetesJobRunner::CreateConfigMap(const json& job, std::string_view resource_json) {
  const json config_map = kube::BuildResourceConfigMap(job, resource_json);
  if (config_map.is_null()) return {};  // a Job that mounts none (made by an older runner)
  auto r =
      HF_TRY(client_.Send("POST", "/api/v1/namespaces/" + namespace_ + "/configmaps", &config_map));
  if (r.status == 200 || r.status == 201 || r.status == 409) return {};
  return Fail(kube::ApiError(r, "create the resource ConfigMap of job " + MetaText(job, "name")));
}

Result<void> KubernetesJobRunner::Patch(const std::string& kube_name, const json& patch) {
  auto r = HF_TRY(client_.Send("PATCH", JobsPath() + "/" + kube_name, &patch, kMergePatch));
  if (r.status != 200) return Fail(kube::ApiError(r, "patch job " + kube_name));
  return {};
}

Result<JobRunner::Created> KubernetesJobRunner::CreateIfAbsent(const JobSpec& spec) {
  if (spec.name.empty()) return Fail(ErrorCode::kInvalidArgument, "job name is empty");
  if (spec.resource_id.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "job has no resource id");
  }
  const std::string name = kube::KubeJobName(spec.name);
  if (auto existing = HF_TRY(GetJob(name))) {
    // A crash between the two creates leaves a Job whose pod waits for its ConfigMap.
    if (!Finished(kube::StateFromJob(*existing).phase)) {
      HF_CHECK(CreateConfigMap(*existing, spec.resource_json));
    }
    return Created{HF_TRY(Describe(*existing)).state, false};
  }
  {
    std::lock_guard lock(mu_);
    created_here_.insert(name);  // before the POST: the first list may race it
  }
  const json manifest = kube::BuildJobManifest(spec, options_.adapter, namespace_, options_.pod);
  auto r = HF_TRY(client_.Send("POST", JobsPath(), &manifest));
  if (r.status == 200 || r.status == 201) {
    kLog.Info("job created", {{"job", name},
                              {"namespace", namespace_},
                              {"resource_id", spec.resource_id},
                              {"generation", spec.generation}});
    HF_CHECK(CreateConfigMap(r.body, spec.resource_json));
    return Created{kube::StateFromJob(r.body), true};
  }
  if (r.status == 409) {
    // Created by someone else (another replica) since our GET: theirs is the job.
    if (auto again = HF_TRY(GetJob(name))) return Created{HF_TRY(Describe(*again)).state, false};
    return Fail(ErrorCode::kUnavailable, "job " + name + " exists but could not be read back");
  }
  return Fail(kube::ApiError(r, "create job " + name + " in namespace " + namespace_));
}

Result<std::optional<JobState>> KubernetesJobRunner::Get(const std::string& name) {
  auto job = HF_TRY(GetJob(kube::KubeJobName(name)));
  if (!job) return std::optional<JobState>();
  return std::optional<JobState>(HF_TRY(Describe(*job)).state);
}

Result<void> KubernetesJobRunner::Delete(const std::string& name) {
  const std::string kube_name = kube::KubeJobName(name);
  const json options = {
      {"apiVersion", "v1"}, {"kind", "DeleteOptions"}, {"propagationPolicy", "Background"}};
  auto r = HF_TRY(client_.Send("DELETE", JobsPath() + "/" + kube_name, &options));
  if (r.status != 404 && (r.status < 200 || r.status >= 300)) {
    return Fail(kube::ApiError(r, "delete job " + kube_name));
  }
  kLog.Info("job deleted", {{"job", kube_name}, {"namespace", namespace_}});
  return {};
}

Result<std::vector<JobState>> KubernetesJobRunner::ListByResource(const std::string& resource_id) {
  const std::string selector = kube::AdapterSelector(options_.adapter) + "," +
                               std::string(kube::kResourceIdLabel) + "=" +
                               kube::KubeLabelValue(resource_id);
  auto list = HF_TRY(client_.List(JobsPath(), selector, "list jobs of resource " + resource_id));
  std::vector<JobState> out;
  for (const auto& item : list.items) {
    JobState s = kube::StateFromJob(item);
    if (s.resource_id == resource_id) out.push_back(std::move(s));
  }
  return out;
}

bool KubernetesJobRunner::Recreate(const json& job) {
  const std::string name = MetaText(job, "name");
  const int attempt = AttemptOf(job);
  const std::string config_map = kube::ResourceConfigMapName(name, attempt);
  auto fail = [&](const std::string& why) {
    kLog.Warn("cannot run a job that failed without a result again",
              {{"job", name}, {"error", why}});
    return false;
  };
  auto cm = client_.Send("GET", "/api/v1/namespaces/" + namespace_ + "/configmaps/" + config_map);
  if (!cm) return fail(cm.error().ToString());
  if (cm->status != 200) return fail(kube::ApiError(*cm, "get configmap " + config_map).ToString());
  const std::string resource_json =
      cm->body.value("data", json::object()).value(std::string(kube::kResourceKey), "");
  const json preconditions = {{"apiVersion", "v1"},
                              {"kind", "DeleteOptions"},
                              {"propagationPolicy", "Background"},
                              {"preconditions", {{"uid", UidOf(job)}}}};
  auto deleted = client_.Send("DELETE", JobsPath() + "/" + name, &preconditions);
  if (!deleted) return fail(deleted.error().ToString());
  if (deleted->status != 200 && deleted->status != 202) {
    return fail(kube::ApiError(*deleted, "delete job " + name).ToString());
  }
  const json again = kube::RecreatedJob(job, attempt + 1, options_.pod.start_timeout);
  auto created = client_.Send("POST", JobsPath(), &again);
  if (!created) return fail(created.error().ToString());
  if (created->status != 201 && created->status != 200) {
    return fail(kube::ApiError(*created, "create job " + name).ToString());
  }
  if (auto r = CreateConfigMap(created->body, resource_json); !r) {
    kLog.Warn("job created again without its ConfigMap",
              {{"job", name}, {"error", r.error().ToString()}});
  }
  kLog.Info("job failed without a result; running it once more",
            {{"job", name}, {"attempt", attempt + 1}});
  return true;
}

// --- the watch ---------------------------------------------------------------------------

Result<std::string> KubernetesJobRunner::Relist(bool first) {
  auto list =
      HF_TRY(client_.List(JobsPath(), kube::AdapterSelector(options_.adapter), "list jobs"));
  std::vector<json> to_report;
  std::vector<json> running;
  {
    std::lock_guard lock(mu_);
    std::set<std::string> present;
    for (const auto& item : list.items) {
      JobState s = kube::StateFromJob(item);
      const std::string uid = UidOf(item);
      present.insert(uid);
      if (!Finished(s.phase)) {
        running.push_back(item);
        continue;
      }
      if (reported_.count(uid)) continue;
      reported_.insert(uid);
      // Jobs that had finished before this runner started are not news.
      if (first && !created_here_.count(s.name)) continue;
      to_report.push_back(item);
    }
    std::erase_if(reported_, [&](const std::string& n) { return !present.count(n); });
    if (first) created_here_.clear();
  }
  for (const auto& job : running) StartDeadline(job);
  for (const auto& job : to_report) Report(job);
  if (list.resource_version.empty()) {
    return Fail(ErrorCode::kUnavailable, "job list has no resourceVersion");
  }
  return list.resource_version;
}

void KubernetesJobRunner::Observe(const json& job) {
  const JobState s = kube::StateFromJob(job);
  if (!Finished(s.phase)) {
    StartDeadline(job);
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (!reported_.insert(UidOf(job)).second) return;
  }
  Report(job);
}

void KubernetesJobRunner::StartDeadline(const json& job) {
  const json status = job.is_object() ? job.value("status", json::object()) : json::object();
  const json& ready = status.is_object() && status.contains("ready") ? status["ready"] : json();
  if (!ready.is_number_integer() || ready.get<int64_t>() < 1 ||
      HasAnnotation(job, kube::kStartedAnnotation)) {
    return;
  }
  const std::string name = MetaText(job, "name");
  auto pods = client_.List(PodsPath(), kube::PodSelector(job), "list pods of job " + name);
  json patch;
  if (pods) patch = kube::DeadlinePatch(job, json{{"items", std::move(pods->items)}});
  if (patch.is_null()) return;
  if (auto r = Patch(name, patch); !r) {
    kLog.Warn("cannot move the job's deadline to its start",
              {{"job", name}, {"error", r.error().ToString()}});
  }
}

void KubernetesJobRunner::Report(const json& job) {
  auto described = Describe(job);
  if (!described) {
    kLog.Warn("cannot read the pods of a finished job",
              {{"job", MetaText(job, "name")}, {"error", described.error().ToString()}});
    described = Described();
    described->state = kube::StateFromJob(job);
  }
  const JobState& state = described->state;
  if (state.phase == JobPhase::kFailed && described->result == kube::PodResult::kNone &&
      !described->from_annotation && state.reason != "DeadlineExceeded" && AttemptOf(job) == 1 &&
      Recreate(job)) {
    return;  // the new Job is reported when it finishes
  }
  if (!described->from_annotation && !described->message.empty()) {
    if (auto r = Patch(state.name, kube::ResultPatch(described->message)); !r) {
      kLog.Warn("cannot keep the job's result on the Job",
                {{"job", state.name}, {"error", r.error().ToString()}});
    }
  }
  kLog.Info("job finished",
            {{"job", state.name}, {"phase", ToString(state.phase)}, {"reason", state.reason}});
  std::function<void(const JobState&)> callback;
  {
    std::lock_guard lock(mu_);
    callback = on_finished_;
  }
  if (callback) callback(state);
}

void KubernetesJobRunner::WatchLoop() {
  const std::string selector = http::UrlEncode(kube::AdapterSelector(options_.adapter));
  const auto timeout_s = std::max<int64_t>(
      1, std::chrono::duration_cast<std::chrono::seconds>(options_.watch_timeout).count());
  int failures = 0;  // in a row; the wait after the n-th is options_.backoff.Delay(n)
  bool first = true;
  std::string rv;
  while (!stop_.stopped()) {
    if (rv.empty()) {
      auto listed = Relist(first);
      if (!listed) {
        SetWatching(false, listed.error().message);
        kLog.Warn("cannot list jobs; retrying",
                  {{"namespace", namespace_}, {"error", listed.error().ToString()}});
        stop_.Backoff(options_.backoff, ++failures);
        continue;
      }
      first = false;
      rv = *listed;
    }
    SetWatching(true);
    const std::string path =
        JobsPath() + "?watch=1&allowWatchBookmarks=true&labelSelector=" + selector +
        "&resourceVersion=" + http::UrlEncode(rv) + "&timeoutSeconds=" + std::to_string(timeout_s);
    bool gone = false;
    bool got_event = false;
    std::string error_event;
    const auto started = std::chrono::steady_clock::now();
    auto r = client_.Stream(
        path,
        [&](const json& event) {
          const std::string type = event.value("type", "");
          const json object = event.contains("object") ? event["object"] : json();
          if (type == "ERROR") {
            if (object.is_object() && object.value("code", 0) == 410) {
              gone = true;
            } else {
              error_event =
                  object.is_object() ? object.value("message", object.dump()) : event.dump();
            }
            return false;
          }
          if (std::string next = MetaText(object, "resourceVersion"); !next.empty()) rv = next;
          got_event = true;
          if (type == "ADDED" || type == "MODIFIED") {
            Observe(object);
          } else if (type == "DELETED") {
            std::lock_guard lock(mu_);
            reported_.erase(UidOf(object));
          }
          return !stop_.stopped();
        },
        stop_.flag(), options_.watch_timeout + std::chrono::seconds(30));
    if (stop_.stopped()) break;
    if (r && (r->status == 410 || gone)) {
      kLog.Info("watch resourceVersion expired; relisting", {{"namespace", namespace_}});
      rv.clear();
      continue;
    }
    if (!r || r->status != 200 || !error_event.empty()) {
      const std::string why = !r                 ? r.error().ToString()
                              : r->status != 200 ? kube::ApiError(*r, "watch jobs").ToString()
                                                 : error_event;
      SetWatching(false, why);
      kLog.Warn("job watch failed; reconnecting", {{"namespace", namespace_}, {"error", why}});
      Duration wait = options_.backoff.Delay(++failures);
      if (r && r->retry_after) wait = std::max(wait, *r->retry_after);
      stop_.WaitFor(wait);
      continue;
    }
    // The server ended the stream (timeoutSeconds, or it went away cleanly): resume from rv.
    if (got_event || std::chrono::steady_clock::now() - started > std::chrono::seconds(1)) {
      failures = 0;
    } else {
      stop_.Backoff(options_.backoff, ++failures);  // streams that end at once: do not spin
    }
  }
  SetWatching(false, "stopped");
}

}  // namespace hf::jobs
