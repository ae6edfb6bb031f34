#include "testing/fake_kube_api.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "testing/loopback.hpp"

namespace hf::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;

std::string Decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::map<std::string, std::string> ParseQuery(std::string_view q) {
  std::map<std::string, std::string> out;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    auto eq = pair.find('=');
    out[Decode(pair.substr(0, eq))] =
        eq == std::string_view::npos ? "" : Decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  return out;
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

// Label selector: "k=v", "k==v", "k!=v", joined by ','.
bool Matches(const std::string& selector, const json& object) {
  if (selector.empty()) return true;
  const json labels = object["metadata"].value("labels", json::object());
  for (const auto& term : Split(selector, ',')) {
    if (term.empty()) continue;
    bool negate = false;
    std::string key, value;
    if (auto ne = term.find("!="); ne != std::string::npos) {
      negate = true;
      key = term.substr(0, ne);
      value = term.substr(ne + 2);
    } else if (auto eqeq = term.find("=="); eqeq != std::string::npos) {
      key = term.substr(0, eqeq);
      value = term.substr(eqeq + 2);
    } else if (auto eq = term.find('='); eq != std::string::npos) {
      key = term.substr(0, eq);
      value = term.substr(eq + 1);
    } else {
      if (!labels.contains(term)) return false;  // existence
      continue;
    }
    const bool equal = labels.contains(key) && labels[key] == value;
    if (equal == negate) return false;
  }
  return true;
}

bool Dns1123(const std::string& n) {
  if (n.empty() || n.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(n.front()) || !alnum(n.back())) return false;
  for (char c : n) {
    if (!alnum(c) && c != '-') return false;
  }
  return true;
}

std::string ReasonFor(int status) {
  switch (status) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 409:
      return "AlreadyExists";
    case 410:
      return "Expired";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 503:
      return "ServiceUnavailable";
    default:
      return status >= 500 ? "InternalError" : "";
  }
}

json Status(int code, const std::string& message, std::string reason = "") {
  if (reason.empty()) reason = ReasonFor(code);
  return {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object()},
          {"status", "Failure"}, {"message", message}, {"reason", reason},
          {"code", code}};
}

// The PodSecurity `restricted` violations of a pod spec (the checks the fake knows), "" if none.
std::string RestrictedViolations(const json& pod_spec) {
  std::vector<std::string> out;
  const json psc = pod_spec.value("securityContext", json::object());
  for (const char* host : {"hostNetwork", "hostPID", "hostIPC"}) {
    if (pod_spec.value(host, false)) out.push_back(std::string(host) + "=true");
  }
  for (const auto& v : pod_spec.value("volumes", json::array())) {
    if (v.contains("hostPath")) out.push_back("restricted volume types (hostPath)");
  }
  const bool pod_non_root = psc.value("runAsNonRoot", false);
  const std::string pod_seccomp =
      psc.value("seccompProfile", json::object()).value("type", std::string());
  for (const auto& c : pod_spec.value("containers", json::array())) {
    const std::string name = c.value("name", "");
    const json sc = c.value("securityContext", json::object());
    if (sc.value("privileged", false)) out.push_back("privileged (container \"" + name + "\")");
    if (!sc.contains("allowPrivilegeEscalation") || sc["allowPrivilegeEscalation"] != false) {
      out.push_back("allowPrivilegeEscalation != false (container \"" + name + "\")");
    }
    const json drop = sc.value("capabilities", json::object()).value("drop", json::array());
    if (std::find(drop.begin(), drop.end(), "ALL") == drop.end()) {
      out.push_back("unrestricted capabilities (container \"" + name + "\" must drop ALL)");
    }
    if (!sc.value("runAsNonRoot", pod_non_root)) {
      out.push_back("runAsNonRoot != true (container \"" + name + "\")");
    }
    if (sc.value("runAsUser", psc.value("runAsUser", 1)) == 0) out.push_back("runAsUser=0");
    const std::string seccomp =
        sc.value("seccompProfile", json::object()).value("type", pod_seccomp);
    if (seccomp != "RuntimeDefault" && seccomp != "Localhost") {
      out.push_back("seccompProfile (container \"" + name + "\" must set type RuntimeDefault)");
    }
  }
  std::string text;
  for (const auto& v : out) text += (text.empty() ? "" : ", ") + v;
  return text;
}

// The creation order of a pod the fake made (its uid "pod-uid-<n>"); 0 for others.
int64_t Serial(const json& pod) {
  const std::string uid = pod["metadata"].value("uid", "");
  constexpr std::string_view kPrefix = "pod-uid-";
  return uid.starts_with(kPrefix) ? std::stoll(uid.substr(kPrefix.size())) : 0;
}

bool SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

bool SendChunk(int fd, const std::string& line) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", line.size());
  return SendAll(fd, std::string(size) + line + "\r\n");
}

}  // namespace

FakeKubeApi::FakeKubeApi() {
  listen_fd_ = ListenOnLoopback(&port_);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

FakeKubeApi::~FakeKubeApi() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    for (int fd : connections_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(threads_);
  }
  changed_.notify_all();
  for (auto& t : threads) t.join();
}

std::string FakeKubeApi::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::string FakeKubeApi::Kubeconfig(const std::string& server, const std::string& namespace_name) {
  return "current-context: test\n"
         "clusters: [{name: fake, cluster: {server: '" +
         server +
         "'}}]\n"
         "contexts: [{name: test, context: {cluster: fake, user: u" +
         (namespace_name.empty() ? "" : ", namespace: " + namespace_name) +
         "}}]\n"
         "users: [{name: u, user: {token: test-token}}]\n";
}

void FakeKubeApi::SetToken(const std::string& token) {
  std::lock_guard lock(mu_);
  token_ = token;
}

void FakeKubeApi::FailNext(const std::string& prefix, int status, const std::string& message,
                           int count, const std::string& reason) {
  std::lock_guard lock(mu_);
  injected_.push_back({prefix, status, message, reason, count});
}

void FakeKubeApi::SetGoneAsEvent(bool as_event) {
  std::lock_guard lock(mu_);
  gone_as_event_ = as_event;
}

void FakeKubeApi::Compact() {
  std::lock_guard lock(mu_);
  compacted_ = rv_;
  events_.clear();
}

void FakeKubeApi::DropWatches() {
  {
    std::lock_guard lock(mu_);
    ++drop_epoch_;
  }
  changed_.notify_all();
}

std::string FakeKubeApi::Now() const {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

void FakeKubeApi::Record(const std::string& ns, const std::string& type, json& object) {
  object["metadata"]["resourceVersion"] = std::to_string(++rv_);
  events_.push_back({rv_, ns, type, object});
}

void FakeKubeApi::Throttle(const std::string& prefix, int retry_after_s, int count) {
  std::lock_guard lock(mu_);
  throttled_.push_back({prefix, retry_after_s, count});
}

void FakeKubeApi::SetPodSecurityRestricted(const std::string& ns) {
  std::lock_guard lock(mu_);
  restricted_.insert(ns);
}

void FakeKubeApi::SetJobQuota(const std::string& ns, size_t max_jobs) {
  std::lock_guard lock(mu_);
  quota_[ns] = max_jobs;
}

void FakeKubeApi::SetNamespaceTerminating(const std::string& ns) {
  std::lock_guard lock(mu_);
  terminating_.insert(ns);
}

void FakeKubeApi::SetPodsStartAtOnce(bool at_once) {
  std::lock_guard lock(mu_);
  pods_start_at_once_ = at_once;
}

void FakeKubeApi::Bump(json& object) {
  object["metadata"]["resourceVersion"] = std::to_string(++rv_);
}

void FakeKubeApi::CreatePod(const json& job) {
  const std::string ns = job["metadata"]["namespace"];
  const std::string name = job["metadata"]["name"];
  const json& pod_spec = job["spec"]["template"]["spec"];
  json& status = jobs_[{ns, name}]["status"];
  if (restricted_.count(ns) && !RestrictedViolations(pod_spec).empty()) {
    status["active"] = 0;  // FailedCreate: the pod is forbidden by PodSecurity
    return;
  }
  json labels = job["spec"]["template"]["metadata"].value("labels", json::object());
  const std::string pod_name = name + "-" + std::to_string(++pod_serial_);
  json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata",
               {{"name", pod_name},
                {"namespace", ns},
                {"uid", "pod-uid-" + std::to_string(pod_serial_)},
                {"creationTimestamp", Now()},
                {"labels", labels}}},
              {"spec", pod_spec}};
  if (pods_start_at_once_) {
    pod["status"] = {
        {"phase", "Running"},
        {"conditions", json::array({{{"type", "PodScheduled"}, {"status", "True"}},
                                    {{"type", "Ready"}, {"status", "True"}}})},
        {"containerStatuses",
         json::array({{{"name", "job"}, {"state", {{"running", {{"startedAt", Now()}}}}}}})}};
  } else {
    pod["status"] = {{"phase", "Pending"},
                     {"conditions", json::array({{{"type", "PodScheduled"},
                                                  {"status", "False"},
                                                  {"reason", "Unschedulable"},
                                                  {"message",
                                                   "0/3 nodes are available: 3 Insufficient "
                                                   "cpu. preemption: 0/3 nodes are available"}}})}};
  }
  Bump(pod);
  pods_[{ns, pod_name}] = pod;
  status["active"] = 1;
  status["ready"] = pods_start_at_once_ ? 1 : 0;
  if (!status.contains("startTime")) status["startTime"] = Now();
}

json* FakeKubeApi::CurrentPod(const std::string& ns, const std::string& job_name) {
  auto it = jobs_.find({ns, job_name});
  if (it == jobs_.end()) return nullptr;
  const std::string uid = it->second["metadata"]["uid"];
  json* newest = nullptr;
  for (auto& [key, pod] : pods_) {
    if (key.first != ns) continue;
    const json labels = pod["metadata"].value("labels", json::object());
    if (labels.value("batch.kubernetes.io/controller-uid", "") != uid) continue;
    if (newest == nullptr || Serial(pod) > Serial(*newest)) newest = &pod;
  }
  return newest;
}

bool FakeKubeApi::Finish(const std::string& ns, const std::string& name,
                         const std::string& pod_phase, const std::string& termination_message,
                         int exit_code, const json& job_status) {
  {
    std::lock_guard lock(mu_);
    auto it = jobs_.find({ns, name});
    if (it == jobs_.end()) return false;
    if (json* pod = CurrentPod(ns, name)) {
      // The kubelet keeps the last 4096 bytes of the termination message file.
      const std::string message =
          termination_message.size() > 4096
              ? termination_message.substr(termination_message.size() - 4096)
              : termination_message;
      (*pod)["status"]["phase"] = pod_phase;
      (*pod)["status"]["containerStatuses"] =
          json::array({{{"name", "job"},
                        {"state",
                         {{"terminated",
                           {{"exitCode", exit_code},
                            {"reason", exit_code == 0 ? "Completed" : "Error"},
                            {"message", message},
                            {"startedAt", Now()},
                            {"finishedAt", Now()}}}}}}});
      Bump(*pod);
    }
    json& job = it->second;
    const json previous = job["status"];
    job["status"] = job_status;
    job["status"]["startTime"] = previous.value("startTime", Now());
    Record(ns, "MODIFIED", job);
  }
  changed_.notify_all();
  return true;
}

bool FakeKubeApi::MarkComplete(const std::string& ns, const std::string& name,
                               const std::string& termination_message, int exit_code) {
  return Finish(
      ns, name, "Succeeded", termination_message, exit_code,
      {{"succeeded", 1},
       {"active", 0},
       {"ready", 0},
       {"completionTime", Now()},
       {"conditions", json::array({{{"type", "SuccessCriteriaMet"},
                                    {"status", "True"},
                                    {"reason", "CompletionsReached"},
                                    {"message", "Reached expected number of succeeded pods"},
                                    {"lastTransitionTime", Now()}},
                                   {{"type", "Complete"},
                                    {"status", "True"},
                                    {"reason", "CompletionsReached"},
                                    {"message", "Reached expected number of succeeded pods"},
                                    {"lastTransitionTime", Now()}}})}});
}

bool FakeKubeApi::MarkSuccessCriteriaMet(const std::string& ns, const std::string& name,
                                         const std::string& termination_message) {
  return Finish(
      ns, name, "Succeeded", termination_message, 0,
      {{"succeeded", 1},
       {"active", 0},
       {"ready", 0},
       {"conditions", json::array({{{"type", "SuccessCriteriaMet"},
                                    {"status", "True"},
                                    {"reason", "CompletionsReached"},
                                    {"message", "Reached expected number of succeeded pods"},
                                    {"lastTransitionTime", Now()}}})}});
}

bool FakeKubeApi::MarkFailed(const std::string& ns, const std::string& name,
                             const std::string& reason, const std::string& message,
                             const std::string& termination_message, int exit_code) {
  json condition = {
      {"status", "True"}, {"reason", reason}, {"message", message}, {"lastTransitionTime", Now()}};
  json failure_target = condition;
  failure_target["type"] = "FailureTarget";
  condition["type"] = "Failed";
  return Finish(ns, name, "Failed", termination_message, exit_code,
                {{"failed", 1},
                 {"active", 0},
                 {"ready", 0},
                 {"conditions", json::array({failure_target, condition})}});
}

bool FakeKubeApi::StartPod(const std::string& ns, const std::string& name) {
  {
    std::lock_guard lock(mu_);
    json* pod = CurrentPod(ns, name);
    if (pod == nullptr || (*pod)["status"].value("phase", "") != "Pending") return false;
    (*pod)["status"] = {
        {"phase", "Running"},
        {"conditions", json::array({{{"type", "PodScheduled"}, {"status", "True"}},
                                    {{"type", "Ready"}, {"status", "True"}}})},
        {"containerStatuses",
         json::array({{{"name", "job"}, {"state", {{"running", {{"startedAt", Now()}}}}}}})}};
    Bump(*pod);
    json& job = jobs_[{ns, name}];
    job["status"]["ready"] = 1;
    Record(ns, "MODIFIED", job);
  }
  changed_.notify_all();
  return true;
}

bool FakeKubeApi::SetPodWaiting(const std::string& ns, const std::string& name,
                                const std::string& reason, const std::string& message) {
  std::lock_guard lock(mu_);
  json* pod = CurrentPod(ns, name);
  if (pod == nullptr || (*pod)["status"].value("phase", "") != "Pending") return false;
  (*pod)["status"]["conditions"] = json::array({{{"type", "PodScheduled"}, {"status", "True"}}});
  (*pod)["status"]["containerStatuses"] = json::array(
      {{{"name", "job"}, {"state", {{"waiting", {{"reason", reason}, {"message", message}}}}}}});
  Bump(*pod);
  return true;
}

bool FakeKubeApi::DisruptPod(const std::string& ns, const std::string& name) {
  {
    std::lock_guard lock(mu_);
    json* pod = CurrentPod(ns, name);
    if (pod == nullptr) return false;
    (*pod)["status"]["phase"] = "Failed";
    (*pod)["status"]["conditions"].push_back({{"type", "DisruptionTarget"},
                                              {"status", "True"},
                                              {"reason", "EvictionByEvictionAPI"},
                                              {"message", "Eviction API: evicting"}});
    (*pod)["status"]["containerStatuses"] = json::array(
        {{{"name", "job"},
          {"state",
           {{"terminated", {{"exitCode", 137}, {"reason", "Error"}, {"finishedAt", Now()}}}}}}});
    Bump(*pod);
    json& job = jobs_[{ns, name}];
    bool ignored = false;
    for (const auto& rule :
         job["spec"].value("podFailurePolicy", json::object()).value("rules", json::array())) {
      for (const auto& c : rule.value("onPodConditions", json::array())) {
        ignored |= rule.value("action", "") == "Ignore" &&
                   c.value("type", "") == "DisruptionTarget" && c.value("status", "True") == "True";
      }
    }
    if (ignored) {
      CreatePod(job);  // not counted as a failure: a new pod
      Record(ns, "MODIFIED", job);
    } else {
      const json condition = {{"status", "True"},
                              {"reason", "BackoffLimitExceeded"},
                              {"message", "Job has reached the specified backoff limit"},
                              {"lastTransitionTime", Now()}};
      json target = condition, failed = condition;
      target["type"] = "FailureTarget";
      failed["type"] = "Failed";
      job["status"] = {{"failed", 1},
                       {"active", 0},
                       {"startTime", job["status"].value("startTime", Now())},
                       {"conditions", json::array({target, failed})}};
      Record(ns, "MODIFIED", job);
    }
  }
  changed_.notify_all();
  return true;
}

void FakeKubeApi::DeletePods(const std::string& ns, const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = jobs_.find({ns, name});
  if (it == jobs_.end()) return;
  const std::string uid = it->second["metadata"]["uid"];
  std::erase_if(pods_, [&](const auto& kv) {
    return kv.first.first == ns && kv.second["metadata"]
                                           .value("labels", json::object())
                                           .value("batch.kubernetes.io/controller-uid", "") == uid;
  });
}

void FakeKubeApi::AddPod(const std::string& ns, json pod) {
  std::lock_guard lock(mu_);
  pod["metadata"]["namespace"] = ns;
  Bump(pod);
  pods_[{ns, pod["metadata"]["name"].get<std::string>()}] = pod;
}

std::optional<json> FakeKubeApi::ConfigMap(const std::string& ns, const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = config_maps_.find({ns, name});
  if (it == config_maps_.end()) return std::nullopt;
  return it->second;
}

std::vector<json> FakeKubeApi::PodsOf(const std::string& ns, const std::string& name) const {
  std::lock_guard lock(mu_);
  std::vector<json> out;
  auto it = jobs_.find({ns, name});
  if (it == jobs_.end()) return out;
  const std::string uid = it->second["metadata"]["uid"];
  for (const auto& [key, pod] : pods_) {
    if (key.first == ns && pod["metadata"]
                                   .value("labels", json::object())
                                   .value("batch.kubernetes.io/controller-uid", "") == uid) {
      out.push_back(pod);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const json& a, const json& b) { return Serial(a) < Serial(b); });
  return out;
}

std::optional<json> FakeKubeApi::Job(const std::string& ns, const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = jobs_.find({ns, name});
  if (it == jobs_.end()) return std::nullopt;
  return it->second;
}

size_t FakeKubeApi::JobCount() const {
  std::lock_guard lock(mu_);
  return jobs_.size();
}

json FakeKubeApi::LastDeleteOptions() const {
  std::lock_guard lock(mu_);
  return last_delete_options_;
}

std::vector<std::string> FakeKubeApi::Requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

int FakeKubeApi::OpenWatches() const {
  std::lock_guard lock(mu_);
  return open_watches_;
}

int FakeKubeApi::WatchRequests() const {
  std::lock_guard lock(mu_);
  return watch_requests_;
}

void FakeKubeApi::AcceptLoop() {
  while (!stopping_) {
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) {
      if (stopping_) return;
      continue;
    }
    std::lock_guard lock(mu_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    connections_.insert(fd);
    threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

void FakeKubeApi::Serve(int fd) {
  asio::io_context ctx;
  asio::ip::tcp::socket socket(ctx);
  boost::system::error_code ec;
  socket.assign(asio::ip::tcp::v4(), fd, ec);
  beast::flat_buffer buffer;
  while (!ec && !stopping_) {
    http::request<http::string_body> req;
    http::read(socket, buffer, req, ec);
    if (ec) break;
    const std::string method(req.method_string());
    const std::string target(req.target());
    const std::string auth(req[http::field::authorization]);
    const std::string content_type(req[http::field::content_type]);
    bool watch = false;
    Reply reply = Handle(method, target, auth, content_type, req.body(), &watch);
    if (watch) {
      auto q = target.find('?');
      std::string path = target.substr(0, q);
      auto query = ParseQuery(q == std::string::npos ? "" : target.substr(q + 1));
      // /apis/batch/v1/namespaces/<ns>/jobs
      auto parts = Split(path, '/');
      StreamWatch(fd, parts.size() > 5 ? parts[5] : "", query);
      break;  // a watch ends its connection
    }
    http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
    res.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : reply.headers) res.set(name, value);
    res.body() = reply.body.is_null() ? "" : reply.body.dump();
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    http::write(socket, res, ec);
    if (!req.keep_alive()) break;
  }
  {
    std::lock_guard lock(mu_);
    connections_.erase(fd);
  }
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

FakeKubeApi::Reply FakeKubeApi::List(const std::map<Key, json>& objects, const std::string& ns,
                                     const std::map<std::string, std::string>& query,
                                     const char* kind, const char* api_version) const {
  const std::string selector = query.count("labelSelector") ? query.at("labelSelector") : "";
  int64_t list_rv = rv_;
  size_t offset = 0;
  if (query.count("continue") && !query.at("continue").empty()) {
    // The token: "<resourceVersion of the first page>:<offset>".
    const std::string token = query.at("continue");
    const auto colon = token.find(':');
    list_rv = std::stoll(token.substr(0, colon));
    offset = std::stoul(token.substr(colon + 1));
    if (list_rv <= compacted_) {
      return {410, Status(410,
                          "The provided continue parameter is too old to display a consistent "
                          "list result. You can start a new list without the continue parameter.",
                          "Expired")};
    }
  }
  const size_t limit = query.count("limit") ? std::stoul(query.at("limit")) : 0;
  json items = json::array();
  size_t index = 0;
  bool more = false;
  for (const auto& [key, object] : objects) {
    if ((!ns.empty() && key.first != ns) || !Matches(selector, object)) continue;
    if (index++ < offset) continue;
    if (limit > 0 && items.size() == limit) {
      more = true;
      break;
    }
    items.push_back(object);
  }
  json meta = {{"resourceVersion", std::to_string(list_rv)}};
  if (more)
    meta["continue"] = std::to_string(list_rv) + ":" + std::to_string(offset + items.size());
  return {200, {{"kind", kind}, {"apiVersion", api_version}, {"metadata", meta}, {"items", items}}};
}

bool FakeKubeApi::JobsConfigMap(const std::string& method, const std::vector<std::string>& parts,
                                const std::string& body) const {
  if (parts.size() == 6 && method == "POST") {
    const json cm = json::parse(body, nullptr, false);
    if (!cm.is_object() || !cm.contains("metadata") || !cm["metadata"].is_object()) return false;
    const json refs = cm["metadata"].value("ownerReferences", json::array());
    return std::ranges::any_of(
        refs, [](const json& r) { return r.is_object() && r.value("kind", "") == "Job"; });
  }
  return parts.size() == 7 && method == "GET" && config_maps_.count({parts[4], parts[6]}) > 0;
}

FakeKubeApi::Reply FakeKubeApi::HandleConfigMaps(const std::string& method,
                                                 const std::vector<std::string>& parts,
                                                 const std::string& body) {
  const std::string& ns = parts[4];
  if (parts.size() == 6 && method == "POST") {
    json cm = json::parse(body, nullptr, false);
    if (!cm.is_object() || !cm.contains("metadata")) {
      return {400, Status(400, "the body is not a ConfigMap")};
    }
    const std::string name = cm["metadata"].value("name", "");
    if (terminating_.count(ns)) {
      return {403, Status(403, "configmaps \"" + name +
                                   "\" is forbidden: unable to create new content in namespace " +
                                   ns + " because it is being terminated")};
    }
    if (config_maps_.count({ns, name})) {
      return {409, Status(409, "configmaps \"" + name + "\" already exists")};
    }
    cm["metadata"]["namespace"] = ns;
    cm["metadata"]["uid"] = "cm-uid-" + std::to_string(rv_ + 1);
    Bump(cm);
    config_maps_[{ns, name}] = cm;
    return {201, cm};
  }
  if (parts.size() == 7 && method == "GET") {
    auto it = config_maps_.find({ns, parts[6]});
    if (it == config_maps_.end()) {
      return {404, Status(404, "configmaps \"" + parts[6] + "\" not found")};
    }
    return {200, it->second};
  }
  return {405, Status(405, "method not allowed", "MethodNotAllowed")};
}

FakeKubeApi::Reply FakeKubeApi::CreateJob(const std::string& ns, const std::string& body,
                                          std::unique_lock<std::mutex>& lock) {
  json job = json::parse(body, nullptr, false);
  if (!job.is_object() || !job.contains("metadata") || !job["metadata"].is_object()) {
    return {400, Status(400, "the body is not a Job object")};
  }
  const std::string name = job["metadata"].value("name", "");
  if (job["metadata"].value("namespace", ns) != ns) {
    return {400, Status(400,
                        "the namespace of the provided object does not match the "
                        "namespace sent on the request")};
  }
  if (!Dns1123(name)) {
    return {422, Status(422, "Job.batch \"" + name +
                                 "\" is invalid: metadata.name: Invalid "
                                 "value: \"" +
                                 name +
                                 "\": a lowercase RFC 1123 label must "
                                 "consist of lower case alphanumeric characters or '-'")};
  }
  const std::string restart =
      job.value("/spec/template/spec/restartPolicy"_json_pointer, std::string());
  if (restart != "Never" && restart != "OnFailure") {
    return {422, Status(422, "Job.batch \"" + name +
                                 "\" is invalid: spec.template.spec."
                                 "restartPolicy: Required value: valid values: \"OnFailure\", "
                                 "\"Never\"")};
  }
  if (terminating_.count(ns)) {
    json status = Status(403, "jobs.batch \"" + name +
                                  "\" is forbidden: unable to create new content in namespace " +
                                  ns + " because it is being terminated");
    status["details"] = {
        {"name", name},
        {"group", "batch"},
        {"kind", "jobs"},
        {"causes", json::array({{{"reason", "NamespaceTerminating"},
                                 {"message", "namespace " + ns + " is being terminated"},
                                 {"field", "metadata.namespace"}}})}};
    return {403, status};
  }
  if (jobs_.count({ns, name})) {
    return {409, Status(409, "jobs.batch \"" + name + "\" already exists")};
  }
  if (auto q = quota_.find(ns); q != quota_.end()) {
    const size_t used = std::count_if(jobs_.begin(), jobs_.end(),
                                      [&](const auto& kv) { return kv.first.first == ns; });
    if (used + 1 > q->second) {
      return {403, Status(403, "jobs.batch \"" + name +
                                   "\" is forbidden: exceeded quota: job-count, requested: "
                                   "count/jobs.batch=1, used: count/jobs.batch=" +
                                   std::to_string(used) +
                                   ", limited: count/jobs.batch=" + std::to_string(q->second))};
    }
  }
  Reply reply;
  if (restricted_.count(ns)) {
    const std::string violations = RestrictedViolations(job["spec"]["template"]["spec"]);
    if (!violations.empty()) {
      reply.headers["Warning"] =
          "299 - \"would violate PodSecurity \\\"restricted:latest\\\": " + violations + "\"";
    }
  }
  const std::string uid = "uid-" + std::to_string(rv_ + 1);
  job["metadata"]["namespace"] = ns;
  job["metadata"]["uid"] = uid;
  job["metadata"]["creationTimestamp"] = Now();
  // What the API server's defaulting adds: the selector on the controller-uid, and the labels
  // every pod of the Job carries.
  job["spec"]["selector"] = {{"matchLabels", {{"batch.kubernetes.io/controller-uid", uid}}}};
  json& labels = job["spec"]["template"]["metadata"]["labels"];
  labels["batch.kubernetes.io/controller-uid"] = uid;
  labels["controller-uid"] = uid;
  labels["batch.kubernetes.io/job-name"] = name;
  labels["job-name"] = name;
  job["status"] = json::object();
  jobs_[{ns, name}] = job;
  CreatePod(jobs_[{ns, name}]);
  Record(ns, "ADDED", jobs_[{ns, name}]);
  reply.status = 201;
  reply.body = jobs_[{ns, name}];
  lock.unlock();
  changed_.notify_all();
  return reply;
}

FakeKubeApi::Reply FakeKubeApi::Handle(const std::string& method, const std::string& target,
                                       const std::string& auth, const std::string& content_type,
                                       const std::string& body, bool* watch) {
  const auto q = target.find('?');
  const std::string path = target.substr(0, q);
  const auto query = ParseQuery(q == std::string::npos ? "" : target.substr(q + 1));
  std::unique_lock lock(mu_);
  requests_.push_back(method + " " + target);
  if (auth != "Bearer " + token_) return {401, Status(401, "Unauthorized")};
  for (auto it = injected_.begin(); it != injected_.end(); ++it) {
    if ((method + " " + path).rfind(it->prefix, 0) != 0) continue;
    Reply r{it->status, Status(it->status, it->message, it->reason), {}};
    if (--it->remaining <= 0) injected_.erase(it);
    return r;
  }
  for (auto it = throttled_.begin(); it != throttled_.end(); ++it) {
    if ((method + " " + path).rfind(it->prefix, 0) != 0) continue;
    Reply r{429,
            Status(429, "Too many requests, please try again later."),
            {{"Retry-After", std::to_string(it->retry_after_s)}}};
    if (--it->remaining <= 0) throttled_.erase(it);
    return r;
  }
  const auto parts = Split(path, '/');  // "", apis, batch, v1, namespaces, ns, jobs, name
  const bool jobs_path = parts.size() >= 7 && parts[1] == "apis" && parts[2] == "batch" &&
                         parts[3] == "v1" && parts[4] == "namespaces" && parts[6] == "jobs";
  const bool pods_path = parts.size() == 6 && parts[1] == "api" && parts[2] == "v1" &&
                         parts[3] == "namespaces" && parts[5] == "pods";
  const bool config_maps_path = parts.size() >= 6 && parts.size() <= 7 && parts[1] == "api" &&
                                parts[2] == "v1" && parts[3] == "namespaces" &&
                                parts[5] == "configmaps";
  if (pods_path && method == "GET") return List(pods_, parts[4], query, "PodList", "v1");
  // ConfigMaps live in two stores: those a Job owns (the runner's resource files, collected
  // with their Job) here, every other one with the generic objects.
  if (config_maps_path && JobsConfigMap(method, parts, body)) {
    return HandleConfigMaps(method, parts, body);
  }
  const bool all_jobs_path = parts.size() == 5 && parts[1] == "apis" && parts[2] == "batch" &&
                             parts[3] == "v1" && parts[4] == "jobs";
  if (all_jobs_path && method == "GET") return List(jobs_, "", query, "JobList", "batch/v1");
  if (!jobs_path && !pods_path) {
    lock.unlock();
    auto r = objects_.Handle(method, path, query, content_type, body);
    return {r.status, std::move(r.body), {}};
  }
  if (!jobs_path) return {404, Status(404, "the server could not find the requested resource")};
  const std::string& ns = parts[5];
  if (parts.size() == 7) {
    if (method == "GET") {
      const std::string w = query.count("watch") ? query.at("watch") : "";
      if (w == "1" || w == "true") {
        *watch = true;
        ++watch_requests_;
        return {};
      }
      return List(jobs_, ns, query, "JobList", "batch/v1");
    }
    if (method != "POST") return {405, Status(405, "method not allowed", "MethodNotAllowed")};
    return CreateJob(ns, body, lock);
  }
  const std::string& name = parts[7];
  auto it = jobs_.find({ns, name});
  if (method == "PATCH" && content_type == "application/apply-patch+yaml") {
    // Server-side apply of a Job (an adapter's `resources:`): creates it when absent; on an
    // existing Job only metadata.labels and annotations change (its pod template is immutable).
    if (!query.count("fieldManager")) {
      return {400, Status(400, "PATCH with application/apply-patch+yaml requires fieldManager")};
    }
    json applied = json::parse(body, nullptr, false);
    if (!applied.is_object() || !applied.contains("metadata") || !applied["metadata"].is_object()) {
      return {400, Status(400, "the body is not a Job object")};
    }
    if (it == jobs_.end()) {
      applied["metadata"]["name"] = name;
      return CreateJob(ns, applied.dump(), lock);
    }
    for (const char* key : {"labels", "annotations"}) {
      if (applied["metadata"].contains(key)) {
        it->second["metadata"][key].merge_patch(applied["metadata"][key]);
      }
    }
    Record(ns, "MODIFIED", it->second);
    json job = it->second;
    lock.unlock();
    changed_.notify_all();
    return {200, job};
  }
  if (it == jobs_.end()) {
    return {404, Status(404, "jobs.batch \"" + name + "\" not found")};
  }
  if (method == "GET") return {200, it->second};
  if (method == "PATCH") {
    if (content_type != "application/merge-patch+json") {
      return {415, Status(415,
                          "the body of the request was in an unknown format - accepted "
                          "media types include: application/json-patch+json, "
                          "application/merge-patch+json, application/apply-patch+yaml",
                          "UnsupportedMediaType")};
    }
    json patch = json::parse(body, nullptr, false);
    if (!patch.is_object()) return {400, Status(400, "the patch is not a JSON object")};
    it->second.merge_patch(patch);
    Record(ns, "MODIFIED", it->second);
    json job = it->second;
    lock.unlock();
    changed_.notify_all();
    return {200, job};
  }
  if (method == "DELETE") {
    last_delete_options_ = json::parse(body, nullptr, false);
    if (last_delete_options_.is_discarded()) last_delete_options_ = nullptr;
    const std::string uid = it->second["metadata"]["uid"];
    if (last_delete_options_.is_object() && last_delete_options_.contains("preconditions") &&
        last_delete_options_["preconditions"].value("uid", uid) != uid) {
      return {409, Status(409,
                          "Operation cannot be fulfilled on jobs.batch \"" + name +
                              "\": Precondition failed: UID in precondition: " +
                              last_delete_options_["preconditions"].value("uid", "") +
                              ", UID in object meta: " + uid,
                          "Conflict")};
    }
    json job = it->second;
    jobs_.erase(it);
    auto owned = [&](const auto& kv) {
      if (kv.first.first != ns) return false;
      const json& meta = kv.second["metadata"];
      if (meta.value("labels", json::object()).value("batch.kubernetes.io/controller-uid", "") ==
          uid) {
        return true;
      }
      for (const auto& owner : meta.value("ownerReferences", json::array())) {
        if (owner.value("uid", "") == uid) return true;
      }
      return false;
    };
    std::erase_if(pods_, owned);
    std::erase_if(config_maps_, owned);
    Record(ns, "DELETED", job);
    lock.unlock();
    changed_.notify_all();
    return {200, job};
  }
  return {405, Status(405, "method not allowed", "MethodNotAllowed")};
}

void FakeKubeApi::StreamWatch(int fd, const std::string& ns,
                              const std::map<std::string, std::string>& query) {
  const std::string selector = query.count("labelSelector") ? query.at("labelSelector") : "";
  const std::string rv_text = query.count("resourceVersion") ? query.at("resourceVersion") : "";
  int timeout_s = 1800;
  if (query.count("timeoutSeconds")) timeout_s = std::stoi(query.at("timeoutSeconds"));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  const std::string header =
      "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

  std::unique_lock lock(mu_);
  int64_t from = 0;
  std::vector<std::string> initial;
  if (rv_text.empty() || rv_text == "0") {
    // Synthetic ADDED events for the current state, then changes.
    for (const auto& [key, job] : jobs_) {
      if (key.first == ns && Matches(selector, job)) {
        initial.push_back(json{{"type", "ADDED"}, {"object", job}}.dump() + "\n");
      }
    }
    from = rv_;
  } else {
    from = std::stoll(rv_text);
    if (from <= compacted_) {
      const json status = Status(
          410, "too old resource version: " + rv_text + " (" + std::to_string(compacted_) + ")");
      const bool as_event = gone_as_event_;
      lock.unlock();
      if (as_event) {
        SendAll(fd, header) &&
            SendChunk(fd, json{{"type", "ERROR"}, {"object", status}}.dump() + "\n") &&
            SendAll(fd, "0\r\n\r\n");
      } else {
        const std::string text = status.dump();
        SendAll(fd, "HTTP/1.1 410 Gone\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(text.size()) + "\r\nConnection: close\r\n\r\n" + text);
      }
      return;
    }
  }
  ++open_watches_;
  const uint64_t epoch = drop_epoch_;
  lock.unlock();
  bool ok = SendAll(fd, header);
  for (const auto& line : initial) ok = ok && SendChunk(fd, line);
  bool dropped = false;
  lock.lock();
  while (ok && !stopping_) {
    std::vector<std::string> lines;
    for (const auto& e : events_) {
      if (e.rv > from && e.ns == ns && Matches(selector, e.object)) {
        lines.push_back(json{{"type", e.type}, {"object", e.object}}.dump() + "\n");
      }
    }
    if (!events_.empty()) from = std::max(from, events_.back().rv);
    if (drop_epoch_ != epoch) {
      dropped = true;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    lock.unlock();
    for (const auto& line : lines) ok = ok && SendChunk(fd, line);
    lock.lock();
    if (lines.empty()) changed_.wait_for(lock, std::chrono::milliseconds(50));
  }
  --open_watches_;
  lock.unlock();
  if (ok && !dropped && !stopping_) SendAll(fd, "0\r\n\r\n");
  // dropped: the caller closes the connection without the final chunk.
}

}  // namespace hf::testing
