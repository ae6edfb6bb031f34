#pragma once

// An in-process stand-in for the Kubernetes API server, for the subset the Kubernetes job
// runner uses: batch/v1 Jobs (create, get, list, watch, delete) and core/v1 Pods (list) in any
// namespace. It behaves like the real server where the runner depends on it:
//   - bearer-token check (401 Status "Unauthorized"),
//   - a global resourceVersion counter stamped on every write, list metadata.resourceVersion,
//   - 409 AlreadyExists on a duplicate create, 404 NotFound, 422 Invalid for a bad name,
//   - label-selector filtering (k=v, k==v, k!=v, comma = and),
//   - watch: a chunked stream of JSON lines {type, object} that stays open until
//     timeoutSeconds; resourceVersion R replays the events after R; a resourceVersion older than
//     the last Compact() gets 410 Gone (as an HTTP 410, or as the real server does it: a 200
//     stream with one ERROR event carrying a Status with code 410),
//   - delete with DeleteOptions (the body is recorded), removing the job's pods too.
// A created Job gets one pod labelled job-name=<job> and status.active=1 at once (what the job
// controller would do); test hooks finish it. Every other path is served by FakeKubeObjects
// (generic objects: discovery, server-side apply, deletion with finalizers; its header says
// what it models).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "testing/fake_kube_objects.hpp"

namespace hf::testing {

class FakeKubeApi {
 public:
  // Listens on 127.0.0.1 (a free port). Accepts the bearer token "test-token".
  FakeKubeApi();
  ~FakeKubeApi();
  FakeKubeApi(const FakeKubeApi&) = delete;
  FakeKubeApi& operator=(const FakeKubeApi&) = delete;

  std::string url() const;  // "http://127.0.0.1:<port>"
  int port() const { return port_; }

  // The only bearer token accepted from now on.
  void SetToken(const std::string& token);
  // The next `count` requests whose "<METHOD> <path>" starts with `prefix` (e.g.
  // "POST /apis/batch/v1/namespaces/ns/jobs") are answered `status` with a Status body
  // carrying `message` (and reason `reason`, default derived from the status).
  void FailNext(const std::string& prefix, int status, const std::string& message, int count = 1,
                const std::string& reason = "");
  // Too-old watches get a 200 stream with an ERROR event (true) or an HTTP 410 (false, default).
  void SetGoneAsEvent(bool as_event);
  // Every resourceVersion up to now becomes too old to watch from.
  void Compact();
  // Ends every open watch stream abruptly (connection closed mid-stream).
  void DropWatches();

  // Test hooks acting as the job controller: finish a Job (and its pod's container with
  // `termination_message` and `exit_code`). False if there is no such Job.
  bool MarkComplete(const std::string& ns, const std::string& name,
                    const std::string& termination_message = "", int exit_code = 0);
  bool MarkFailed(const std::string& ns, const std::string& name, const std::string& reason,
                  const std::string& message, const std::string& termination_message = "",
                  int exit_code = 1);

  std::optional<nlohmann::json> Job(const std::string& ns, const std::string& name) const;
  size_t JobCount() const;
  nlohmann::json LastDeleteOptions() const;   // the body of the last DELETE
  std::vector<std::string> Requests() const;  // "<METHOD> <target>" of every request so far
  int OpenWatches() const;
  int WatchRequests() const;  // watch requests received so far
  // The generic objects (Namespaces, ConfigMaps, Deployments, ...) and their test hooks.
  FakeKubeObjects& objects() { return objects_; }

 private:
  struct Event {
    int64_t rv = 0;
    std::string ns;
    std::string type;  // ADDED, MODIFIED, DELETED
    nlohmann::json object;
  };
  struct Reply {
    int status = 200;
    nlohmann::json body;
  };

  void AcceptLoop();
  void Serve(int fd);
  Reply Handle(const std::string& method, const std::string& target, const std::string& auth,
               const std::string& content_type, const std::string& body, bool* watch);
  void StreamWatch(int fd, const std::string& ns, const std::map<std::string, std::string>& query);
  // Stamps a new resourceVersion on `object` and records the event. mu_ must be held.
  void Record(const std::string& ns, const std::string& type, nlohmann::json& object);
  std::string Now() const;

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable changed_;
  std::string token_ = "test-token";
  struct Injected {
    std::string prefix;
    int status;
    std::string message;
    std::string reason;
    int remaining;
  };
  std::vector<Injected> injected_;
  bool gone_as_event_ = false;
  int64_t rv_ = 1000;
  int64_t compacted_ = 0;
  uint64_t drop_epoch_ = 0;
  std::map<std::pair<std::string, std::string>, nlohmann::json> jobs_;  // (ns, name)
  std::map<std::pair<std::string, std::string>, nlohmann::json> pods_;  // (ns, job name)
  std::vector<Event> events_;                                           // jobs only
  nlohmann::json last_delete_options_;
  std::vector<std::string> requests_;
  int open_watches_ = 0;
  int watch_requests_ = 0;
  std::set<int> connections_;
  std::vector<std::thread> threads_;

  FakeKubeObjects objects_;  // thread-safe on its own
  std::thread acceptor_;
};

}  // namespace hf::testing
