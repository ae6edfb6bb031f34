#include "testing/fake_kube_api.hpp"

#include <sys/socket.h>
#include <unistd.h>

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

bool FakeKubeApi::MarkComplete(const std::string& ns, const std::string& name,
                               const std::string& termination_message, int exit_code) {
  {
    std::lock_guard lock(mu_);
    auto it = jobs_.find({ns, name});
    if (it == jobs_.end()) return false;
    json& pod = pods_[{ns, name}];
    pod["status"]["phase"] = "Succeeded";
    pod["status"]["containerStatuses"] = json::array({{{"name", "job"},
                                                       {"state",
                                                        {{"terminated",
                                                          {{"exitCode", exit_code},
                                                           {"reason", "Completed"},
                                                           {"message", termination_message},
                                                           {"finishedAt", Now()}}}}}}});
    pod["metadata"]["resourceVersion"] = std::to_string(++rv_);
    json& job = it->second;
    job["status"] = {
        {"succeeded", 1},
        {"startTime", job["status"].value("startTime", Now())},
        {"completionTime", Now()},
        {"conditions",
         json::array({{{"type", "Complete"}, {"status", "True"}, {"lastTransitionTime", Now()}}})}};
    Record(ns, "MODIFIED", job);
  }
  changed_.notify_all();
  return true;
}

bool FakeKubeApi::MarkFailed(const std::string& ns, const std::string& name,
                             const std::string& reason, const std::string& message,
                             const std::string& termination_message, int exit_code) {
  {
    std::lock_guard lock(mu_);
    auto it = jobs_.find({ns, name});
    if (it == jobs_.end()) return false;
    json& pod = pods_[{ns, name}];
    pod["status"]["phase"] = "Failed";
    pod["status"]["containerStatuses"] = json::array({{{"name", "job"},
                                                       {"state",
                                                        {{"terminated",
                                                          {{"exitCode", exit_code},
                                                           {"reason", "Error"},
                                                           {"message", termination_message},
                                                           {"finishedAt", Now()}}}}}}});
    pod["metadata"]["resourceVersion"] = std::to_string(++rv_);
    json& job = it->second;
    job["status"] = {{"failed", 1},
                     {"startTime", job["status"].value("startTime", Now())},
                     {"conditions", json::array({{{"type", "Failed"},
                                                  {"status", "True"},
                                                  {"reason", reason},
                                                  {"message", message},
                                                  {"lastTransitionTime", Now()}}})}};
    Record(ns, "MODIFIED", job);
  }
  changed_.notify_all();
  return true;
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
    bool watch = false;
    Reply reply = Handle(method, target, auth, std::string(req[http::field::content_type]),
                         req.body(), &watch);
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
    Reply r{it->status, Status(it->status, it->message, it->reason)};
    if (--it->remaining <= 0) injected_.erase(it);
    return r;
  }
  const auto parts = Split(path, '/');  // "", apis, batch, v1, namespaces, ns, jobs, name
  const bool jobs_path = parts.size() >= 7 && parts[1] == "apis" && parts[2] == "batch" &&
                         parts[3] == "v1" && parts[4] == "namespaces" && parts[6] == "jobs";
  const bool pods_path = parts.size() == 6 && parts[1] == "api" && parts[2] == "v1" &&
                         parts[3] == "namespaces" && parts[5] == "pods";
  const std::string selector = query.count("labelSelector") ? query.at("labelSelector") : "";
  auto list = [&](const std::map<std::pair<std::string, std::string>, json>& objects,
                  const std::string& ns, const char* kind, const char* api_version) {
    json items = json::array();
    for (const auto& [key, object] : objects) {
      if (key.first == ns && Matches(selector, object)) items.push_back(object);
    }
    return json{{"kind", kind},
                {"apiVersion", api_version},
                {"metadata", {{"resourceVersion", std::to_string(rv_)}}},
                {"items", items}};
  };
  if (pods_path && method == "GET") return {200, list(pods_, parts[4], "PodList", "v1")};
  if (!jobs_path && !pods_path) {
    lock.unlock();
    auto r = objects_.Handle(method, path, query, content_type, body);
    return {r.status, std::move(r.body)};
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
      return {200, list(jobs_, ns, "JobList", "batch/v1")};
    }
    if (method != "POST") return {405, Status(405, "method not allowed", "MethodNotAllowed")};
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
    if (jobs_.count({ns, name})) {
      return {409, Status(409, "jobs.batch \"" + name + "\" already exists")};
    }
    job["metadata"]["namespace"] = ns;
    job["metadata"]["uid"] = "uid-" + std::to_string(rv_ + 1);
    job["metadata"]["creationTimestamp"] = Now();
    job["status"] = {{"active", 1}, {"startTime", Now()}};
    json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata",
                 {{"name", name + "-pod"},
                  {"namespace", ns},
                  {"labels", {{"job-name", name}, {"batch.kubernetes.io/job-name", name}}}}},
                {"status", {{"phase", "Running"}}}};
    pod["metadata"]["resourceVersion"] = std::to_string(++rv_);
    pods_[{ns, name}] = pod;
    Record(ns, "ADDED", job);
    jobs_[{ns, name}] = job;
    lock.unlock();
    changed_.notify_all();
    return {201, job};
  }
  const std::string& name = parts[7];
  auto it = jobs_.find({ns, name});
  if (it == jobs_.end()) {
    return {404, Status(404, "jobs.batch \"" + name + "\" not found")};
  }
  if (method == "GET") return {200, it->second};
  if (method == "DELETE") {
    last_delete_options_ = json::parse(body, nullptr, false);
    if (last_delete_options_.is_discarded()) last_delete_options_ = nullptr;
    json job = it->second;
    jobs_.erase(it);
    pods_.erase({ns, name});
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
