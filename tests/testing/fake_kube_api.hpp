#pragma once

// An in-process stand-in for the Kubernetes API server, for the subset the Kubernetes job
// runner uses: batch/v1 Jobs (create, get, list in a namespace or all, watch, merge patch,
// server-side apply as create or a label/annotation change, delete), core/v1 Pods (list) and
// ConfigMaps (create, get) in any namespace. It behaves like the real server (1.31) where the
// runner depends on it:
//   - bearer-token check (401 Status "Unauthorized"),
//   - a global resourceVersion counter stamped on every write, list metadata.resourceVersion,
//   - 409 AlreadyExists on a duplicate create, 404 NotFound, 422 Invalid for a bad name or
//     restartPolicy, 415 for a PATCH that is not application/merge-patch+json,
//   - label-selector filtering (k=v, k==v, k!=v, k, comma = and),
//   - lists page with limit/continue; a continue token older than the last Compact() gets 410
//     Expired,
//   - watch: a chunked stream of JSON lines {type, object} that stays open until
//     timeoutSeconds; resourceVersion R replays the events after R; a resourceVersion older than
//     the last Compact() gets 410 Gone (as an HTTP 410, or as the real server does it: a 200
//     stream with one ERROR event carrying a Status with code 410),
//   - delete with DeleteOptions (the body is recorded; preconditions.uid checked, 409 if it
//     differs), removing the Job's pods and the ConfigMaps it owns (ownerReferences) at once,
//   - admission: a namespace with PodSecurity `restricted` (SetPodSecurityRestricted) admits a
//     Job whose pod template violates it (with a Warning header, as the real server does for
//     workload objects) but its pods are refused, so the Job never gets one; a Job quota
//     (SetJobQuota) refuses creates over it with 403 "exceeded quota"; a terminating namespace
//     refuses creates with 403 and cause NamespaceTerminating,
//   - Throttle: 429 with Retry-After.
// What the job controller and kubelet would do is done at once or by test hooks: a created Job
// gets a pod labelled with its controller-uid (batch.kubernetes.io/controller-uid and
// controller-uid) and job-name, spec.selector on that uid, status.active=1; the pod runs at once
// (container running, status.ready=1) unless SetPodsStartAtOnce(false), when it stays Pending
// (unschedulable) until StartPod. Finishing writes the 1.31 conditions (SuccessCriteriaMet then
// Complete; FailureTarget then Failed) and a termination message cut to its last 4096 bytes as
// the kubelet does. A disrupted pod (DisruptPod) gets DisruptionTarget and is replaced when the
// Job's podFailurePolicy ignores that condition, else fails the Job.
//
// Not modelled: real scheduling and time (activeDeadlineSeconds and ttlSecondsAfterFinished are
// never enforced; StartPod starts "now"), backoffLimit > 0 retries, more than one pod at a time
// (parallelism, completions), events (FailedCreate etc.), the garbage collector's delay (owned
// objects vanish with their owner), finalizers, resourceVersion checks on update, strategic-merge
// and JSON patches of Jobs, field selectors, watches of anything but Jobs, the
// PodSecurity checks beyond runAsNonRoot, allowPrivilegeEscalation, capabilities, seccomp,
// privileged and host namespaces/paths, quotas on anything but the Job count, RBAC, and API
// priority and fairness beyond Throttle.
//
// Every other path (discovery, Namespaces, ConfigMaps no Job owns, Deployments, …) is served by
// FakeKubeObjects (generic objects with server-side apply, deletion with finalizers and garbage
// collection; its header says what it models), reached through objects().

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
  // A kubeconfig for `server` (a FakeKubeApi's url(), or a TLS front's) with the accepted token;
  // its context's namespace is `namespace_name` ("" for none).
  static std::string Kubeconfig(const std::string& server, const std::string& namespace_name = "");
  int port() const { return port_; }

  // The only bearer token accepted from now on.
  void SetToken(const std::string& token);
  // The next `count` requests whose "<METHOD> <path>" starts with `prefix` (e.g.
  // "POST /apis/batch/v1/namespaces/ns/jobs") are answered `status` with a Status body
  // carrying `message` (and reason `reason`, default derived from the status).
  void FailNext(const std::string& prefix, int status, const std::string& message, int count = 1,
                const std::string& reason = "");
  // The next `count` requests starting with `prefix` get 429 TooManyRequests with
  // "Retry-After: <retry_after_s>".
  void Throttle(const std::string& prefix, int retry_after_s, int count = 1);
  // Admission settings of a namespace (see the header comment).
  void SetPodSecurityRestricted(const std::string& ns);
  void SetJobQuota(const std::string& ns, size_t max_jobs);
  void SetNamespaceTerminating(const std::string& ns);
  // Too-old watches get a 200 stream with an ERROR event (true) or an HTTP 410 (false, default).
  void SetGoneAsEvent(bool as_event);
  // Every resourceVersion up to now becomes too old to watch from.
  void Compact();
  // Ends every open watch stream abruptly (connection closed mid-stream).
  void DropWatches();

  // Test hooks acting as the job controller and the kubelet; each is false when the Job (or its
  // running pod) does not exist. The Mark* hooks terminate the Job's current pod with
  // `termination_message` (cut to its last 4096 bytes) and `exit_code`, then write the Job's
  // conditions as Kubernetes 1.31 does (success: SuccessCriteriaMet, Complete; failure:
  // FailureTarget, Failed). MarkSuccessCriteriaMet stops after the first condition.
  bool MarkComplete(const std::string& ns, const std::string& name,
                    const std::string& termination_message = "", int exit_code = 0);
  bool MarkSuccessCriteriaMet(const std::string& ns, const std::string& name,
                              const std::string& termination_message = "");
  bool MarkFailed(const std::string& ns, const std::string& name, const std::string& reason,
                  const std::string& message, const std::string& termination_message = "",
                  int exit_code = 1);
  // Whether new pods start at once (default) or stay Pending, unschedulable, until StartPod.
  void SetPodsStartAtOnce(bool at_once);
  // The Job's pending pod is scheduled and its container starts now (status.ready=1).
  bool StartPod(const std::string& ns, const std::string& name);
  // The Job's pending pod is scheduled but its container waits with `reason` (ImagePullBackOff,
  // CreateContainerConfigError, ...) and `message`.
  bool SetPodWaiting(const std::string& ns, const std::string& name, const std::string& reason,
                     const std::string& message);
  // The Job's current pod is evicted (DisruptionTarget, phase Failed, exit code 137).
  bool DisruptPod(const std::string& ns, const std::string& name);
  // The Job's pods are deleted (pod garbage collection); the Job stays.
  void DeletePods(const std::string& ns, const std::string& name);
  // Adds a pod as is (e.g. one left over from an earlier Job of the same name).
  void AddPod(const std::string& ns, nlohmann::json pod);

  std::optional<nlohmann::json> Job(const std::string& ns, const std::string& name) const;
  std::optional<nlohmann::json> ConfigMap(const std::string& ns, const std::string& name) const;
  // The pods labelled with the Job's controller-uid, oldest first.
  std::vector<nlohmann::json> PodsOf(const std::string& ns, const std::string& name) const;
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
    Reply(int s = 200, nlohmann::json b = nullptr, std::map<std::string, std::string> h = {})
        : status(s), body(std::move(b)), headers(std::move(h)) {}
    int status;
    nlohmann::json body;
    std::map<std::string, std::string> headers;
  };
  using Key = std::pair<std::string, std::string>;  // (namespace, name)

  void AcceptLoop();
  void Serve(int fd);
  Reply Handle(const std::string& method, const std::string& target, const std::string& auth,
               const std::string& content_type, const std::string& body, bool* watch);
  // The list reply of `objects` in `ns` ("" for every namespace) matching the query's
  // labelSelector, paged by its limit/continue. mu_ must be held.
  Reply List(const std::map<Key, nlohmann::json>& objects, const std::string& ns,
             const std::map<std::string, std::string>& query, const char* kind,
             const char* api_version) const;
  Reply CreateJob(const std::string& ns, const std::string& body,
                  std::unique_lock<std::mutex>& lock);
  // True when a ConfigMap request is about one a Job owns (a create with a Job owner
  // reference, a read of one stored here). mu_ must be held.
  bool JobsConfigMap(const std::string& method, const std::vector<std::string>& parts,
                     const std::string& body) const;
  Reply HandleConfigMaps(const std::string& method, const std::vector<std::string>& parts,
                         const std::string& body);
  // The job controller: a new pod for Job `job` (unless PodSecurity refuses it). mu_ held.
  void CreatePod(const nlohmann::json& job);
  // The Job's newest pod (nullptr if none). mu_ must be held.
  nlohmann::json* CurrentPod(const std::string& ns, const std::string& job_name);
  // Terminates the current pod and finishes Job `name` with `conditions`. mu_ must be held.
  bool Finish(const std::string& ns, const std::string& name, const std::string& pod_phase,
              const std::string& termination_message, int exit_code,
              const nlohmann::json& job_status);
  void Bump(nlohmann::json& object);  // a new resourceVersion for a non-watched object
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
  struct Throttled {
    std::string prefix;
    int retry_after_s;
    int remaining;
  };
  std::vector<Throttled> throttled_;
  std::set<std::string> restricted_;     // namespaces with PodSecurity restricted
  std::map<std::string, size_t> quota_;  // namespace → max Jobs
  std::set<std::string> terminating_;
  bool pods_start_at_once_ = true;
  int64_t pod_serial_ = 0;
  bool gone_as_event_ = false;
  int64_t rv_ = 1000;
  int64_t compacted_ = 0;
  uint64_t drop_epoch_ = 0;
  std::map<Key, nlohmann::json> jobs_;
  std::map<Key, nlohmann::json> pods_;
  std::map<Key, nlohmann::json> config_maps_;
  std::vector<Event> events_;  // jobs only
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
