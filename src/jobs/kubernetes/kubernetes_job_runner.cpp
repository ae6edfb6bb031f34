#include "jobs/kubernetes/kubernetes_job_runner.hpp"

#include "common/http_message.hpp"
#include "common/log.hpp"

namespace hf::jobs {
namespace {

using nlohmann::json;

const log::Logger kLog{"jobs"};

std::string NameOf(const json& object) {
  if (!object.is_object() || !object.contains("metadata")) return {};
  return object["metadata"].value("name", "");
}

std::string ResourceVersionOf(const json& object) {
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) {
    return {};
  }
  return object["metadata"].value("resourceVersion", "");
}

}  // namespace

Result<std::unique_ptr<KubernetesJobRunner>> KubernetesJobRunner::Open(
    KubernetesJobRunnerOptions options) {
  if (options.adapter.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "kubernetes runner: the adapter name is required");
  }
  if (options.pod.image.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "kubernetes runner: an image is required");
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
      client_(std::move(connection), {.timeout = options_.request_timeout}),
      watcher_([this] { WatchLoop(); }) {}

KubernetesJobRunner::~KubernetesJobRunner() {
  stop_.Stop();
  watcher_.join();
}

void KubernetesJobRunner::OnFinished(std::function<void(const JobState&)> callback) {
  std::lock_guard lock(mu_);
  on_finished_ = std::move(callback);
}

std::string KubernetesJobRunner::JobsPath() const {
  return "/apis/batch/v1/namespaces/" + namespace_ + "/jobs";
}

Result<JobState> KubernetesJobRunner::Describe(const json& job) {
  JobState state = kube::StateFromJob(job);
  if (!Finished(state.phase)) return state;
  const std::string path = "/api/v1/namespaces/" + namespace_ +
                           "/pods?labelSelector=" + http::UrlEncode("job-name=" + state.name);
  auto pods = HF_TRY(client_.Send("GET", path));
  if (pods.status != 200) return Fail(kube::ApiError(pods, "list pods of job " + state.name));
  kube::ApplyPods(state, pods.body);
  return state;
}

Result<std::optional<JobState>> KubernetesJobRunner::Fetch(const std::string& kube_name) {
  auto r = HF_TRY(client_.Send("GET", JobsPath() + "/" + kube_name));
  if (r.status == 404) return std::optional<JobState>();
  if (r.status != 200) return Fail(kube::ApiError(r, "get job " + kube_name));
  return std::optional<JobState>(HF_TRY(Describe(r.body)));
}

Result<JobRunner::Created> KubernetesJobRunner::CreateIfAbsent(const JobSpec& spec) {
  if (spec.name.empty()) return Fail(ErrorCode::kInvalidArgument, "job name is empty");
  if (spec.resource_id.empty()) {
    return Fail(ErrorCode::kInvalidArgument, "job has no resource id");
  }
  const std::string name = kube::KubeJobName(spec.name);
  if (auto existing = HF_TRY(Fetch(name))) return Created{std::move(*existing), false};
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
    return Created{kube::StateFromJob(r.body), true};
  }
  if (r.status == 409) {
    // Created by someone else (another replica) since our GET: theirs is the job.
    if (auto again = HF_TRY(Fetch(name))) return Created{std::move(*again), false};
    return Fail(ErrorCode::kUnavailable, "job " + name + " exists but could not be read back");
  }
  return Fail(kube::ApiError(r, "create job " + name + " in namespace " + namespace_));
}

Result<std::optional<JobState>> KubernetesJobRunner::Get(const std::string& name) {
  return Fetch(kube::KubeJobName(name));
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
  auto r = HF_TRY(client_.Send("GET", JobsPath() + "?labelSelector=" + http::UrlEncode(selector)));
  if (r.status != 200) return Fail(kube::ApiError(r, "list jobs of resource " + resource_id));
  std::vector<JobState> out;
  if (r.body.contains("items") && r.body["items"].is_array()) {
    for (const auto& item : r.body["items"]) {
      JobState s = kube::StateFromJob(item);
      if (s.resource_id == resource_id) out.push_back(std::move(s));
    }
  }
  return out;
}

// --- the watch ---------------------------------------------------------------------------

Result<std::string> KubernetesJobRunner::Relist(bool first) {
  const std::string selector = kube::AdapterSelector(options_.adapter);
  auto r = HF_TRY(client_.Send("GET", JobsPath() + "?labelSelector=" + http::UrlEncode(selector)));
  if (r.status != 200) return Fail(kube::ApiError(r, "list jobs"));
  std::vector<json> to_report;
  {
    std::lock_guard lock(mu_);
    std::set<std::string> present;
    if (r.body.contains("items") && r.body["items"].is_array()) {
      for (const auto& item : r.body["items"]) {
        JobState s = kube::StateFromJob(item);
        present.insert(s.name);
        if (!Finished(s.phase) || reported_.count(s.name)) continue;
        reported_.insert(s.name);
        // Jobs that had finished before this runner started are not news.
        if (first && !created_here_.count(s.name)) continue;
        to_report.push_back(item);
      }
    }
    std::erase_if(reported_, [&](const std::string& n) { return !present.count(n); });
    if (first) created_here_.clear();
  }
  for (const auto& job : to_report) Report(job);
  std::string rv = ResourceVersionOf(r.body);
  if (rv.empty()) return Fail(ErrorCode::kUnavailable, "job list has no resourceVersion");
  return rv;
}

void KubernetesJobRunner::Observe(const json& job) {
  const JobState s = kube::StateFromJob(job);
  if (!Finished(s.phase)) return;
  {
    std::lock_guard lock(mu_);
    if (!reported_.insert(s.name).second) return;
  }
  Report(job);
}

void KubernetesJobRunner::Report(const json& job) {
  auto described = Describe(job);
  JobState state = described ? std::move(*described) : kube::StateFromJob(job);
  if (!described) {
    kLog.Warn("cannot read the pods of a finished job",
              {{"job", state.name}, {"error", described.error().ToString()}});
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
        watching_ = false;
        kLog.Warn("cannot list jobs; retrying",
                  {{"namespace", namespace_}, {"error", listed.error().ToString()}});
        stop_.Backoff(options_.backoff, ++failures);
        continue;
      }
      first = false;
      rv = *listed;
    }
    watching_ = true;
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
          if (std::string next = ResourceVersionOf(object); !next.empty()) rv = next;
          got_event = true;
          if (type == "ADDED" || type == "MODIFIED") {
            Observe(object);
          } else if (type == "DELETED") {
            std::lock_guard lock(mu_);
            reported_.erase(NameOf(object));
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
      watching_ = false;
      const std::string why = !r                 ? r.error().ToString()
                              : r->status != 200 ? kube::ApiError(*r, "watch jobs").ToString()
                                                 : error_event;
      kLog.Warn("job watch failed; reconnecting", {{"namespace", namespace_}, {"error", why}});
      stop_.Backoff(options_.backoff, ++failures);
      continue;
    }
    // The server ended the stream (timeoutSeconds, or it went away cleanly): resume from rv.
    if (got_event || std::chrono::steady_clock::now() - started > std::chrono::seconds(1)) {
      failures = 0;
    } else {
      stop_.Backoff(options_.backoff, ++failures);  // streams that end at once: do not spin
    }
  }
  watching_ = false;
}

}  // namespace hf::jobs
