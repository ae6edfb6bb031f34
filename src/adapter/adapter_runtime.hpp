#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "adapter/adapter_config.hpp"
#include "adapter/decision.hpp"
#include "adapter/field_path.hpp"
#include "adapter/kubernetes_resources.hpp"
#include "adapter/status_report.hpp"
#include "broker/broker.hpp"
#include "client/api_client.hpp"
#include "common/metrics.hpp"
#include "jobs/job_runner.hpp"

namespace hf::adapter {

// What handling one cluster came to.
enum class Outcome {
  kReported,    // a status report was sent (stored or discarded as stale)
  kGone,        // the cluster does not exist (any more)
  kTransient,   // the API or the runner is unavailable: try again later (nack)
  kTerminal,    // a failure retrying cannot fix, reported as Health=False where possible (ack)
  kWaiting,     // reported, but not settled (objects still deleting, resources not available):
                // re-evaluated later with backoff (ack)
  kSuperseded,  // the event's change was already seen by a finished reconcile: nothing to do (ack)
};

// One adapter: consumes its subscription and, per event, does what
// docs/architecture.md#the-flow-of-one-event says for its resource kind (config.kind; "cluster"
// below stands for a nodepool too) (fetch the cluster, finalize if deleting, check preconditions,
// apply its Kubernetes resources, find or create this generation's job, report
// Applied/Available/Health). Runs inside any process:
// `hyperfleet adapter` wraps one, `hyperfleet dev` runs several on one in-process broker.
//
// Clusters are handled one at a time each (striped in-process locks) and jobs are created
// atomically by name, so duplicate deliveries and several replicas never start two jobs for one
// (cluster, generation). When a job finishes, its cluster is handled again at once (up to
// broker.parallelism clusters at a time); a transient failure of that re-evaluation is retried
// with backoff (the ticker remains the safety net).
class AdapterRuntime {
 public:
  // `config` must be complete: api.base_url set, and job.state_dir for runner: local. `stop`
  // (owned by the caller, set before Stop()) aborts API calls and retry waits in flight. Errors:
  // kInvalidArgument (incomplete config, no usable Kubernetes config), kUnavailable (job state
  // directory unusable). Runner errors that retrying cannot fix (Kubernetes 401/403/422) are
  // reported as Health=False ExecutionFailed:job with the API server's message, resources the
  // API server refuses (or an apply conflict) as ExecutionFailed:resources.
  static Result<std::unique_ptr<AdapterRuntime>> Create(AdapterConfig config,
                                                        broker::Broker& broker,
                                                        const std::atomic<bool>& stop);
  ~AdapterRuntime();  // Stop()

  // Subscribes (config.broker topic/subscription/parallelism) and starts re-evaluations.
  Result<void> Start();
  // Stops consuming (in-flight events finish within the broker's drain bound) and
  // re-evaluating. Running jobs keep running; a restarted adapter finds them. Idempotent.
  void Stop();
  // "" when subscribed, the job runner sees jobs finish (its Kubernetes watch is up) and the
  // API answers; otherwise why not (for /readyz).
  std::string NotReadyReason() const;

  // Handles one cluster now, for an event about it with `event` as its data (null: a
  // re-evaluation; expressions then see {id, kind} as `event`) and `sequence` as its number
  // among the cluster's events (model::OutboxEvent::aggregate_sequence), when it has one. An
  // event numbered at or below the cluster's event_sequence in the read of a reconcile that
  // since reported (or is waiting to look again) is kSuperseded: that read already saw its
  // change, and whatever this adapter does follows from the cluster's state, not from the event
  // (a backlog of events for one cluster becomes one reconcile). On another adapter's status
  // change, a report equal to this adapter's last one stored for the cluster (same generation,
  // conditions, data and metadata), whose Available the cluster's <Adapter>Successful condition
  // still shows, is not sent again: hyperfleet_adapter_status_reports_unchanged_total.
  Outcome Reconcile(const std::string& resource_id, const nlohmann::json& event = nullptr,
                    std::optional<int64_t> sequence = std::nullopt);
  // The broker handler: decodes the CloudEvent (malformed → logged and acked), reconciles its
  // cluster, nacks on kTransient. A status_changed event caused by this adapter's own report, or
  // by another adapter's when no precondition reads `status`, is acked without work: the
  // resource changed in nothing this adapter acts on (its jobs' ends wake it on their own). So
  // is a superseded event (Reconcile; its number is the message's aggregate_sequence attribute).
  broker::HandlerResult Handle(const broker::Delivery& delivery);

  const AdapterConfig& config() const { return config_; }

 private:
  struct Metrics {
    metrics::Family<metrics::Counter>& events;
    metrics::Family<metrics::Histogram>& duration;
    metrics::Family<metrics::Counter>& jobs_created;
    metrics::Family<metrics::Counter>& jobs_finished;   // {adapter, result}
    metrics::Family<metrics::Histogram>& job_duration;  // {adapter, result}
    metrics::Family<metrics::Counter>& reports;
    metrics::Family<metrics::Counter>& unchanged;
    metrics::Family<metrics::Counter>& errors;
    metrics::Family<metrics::Counter>& nacks;
  };
  struct Retry {
    std::string resource_id;
    int attempt = 0;
    std::chrono::steady_clock::time_point due;
  };

  AdapterRuntime(AdapterConfig config, broker::Broker& broker, const std::atomic<bool>& stop,
                 std::unique_ptr<jobs::JobRunner> runner,
                 std::unique_ptr<KubernetesResources> resources);
  // What this process knows of a cluster from its last reconcile that finished (reported, or
  // waiting to look again): the event_sequence it read, and a digest of the report the API
  // stored (0: none).
  struct Memory {
    std::optional<int64_t> sequence;
    uint64_t report = 0;
  };
  // Updates `memory` with what this reconcile read and reported.
  Outcome ReconcileLocked(const std::string& resource_id, const nlohmann::json& event,
                          Memory& memory);
  Outcome Finalize(const std::string& resource_id, int64_t generation);
  // Whether a status change `adapter`'s report caused is acted on: not this adapter's own, only
  // when the preconditions or params read status, and only broker.status_changes_from's if set.
  bool ActsOnStatusChangeOf(const std::string& adapter) const;
  // True when this adapter's last report on the resource is about job `job_name` at
  // `generation` and says it finished (its outcome is known even if the job was cleaned up).
  // A transient API error is returned; any other failure counts as "not known" (false).
  Result<bool> ReportedOutcome(const std::string& resource_id, int64_t generation,
                               const std::string& job_name);
  // The resource is gone (a 404): deletes the jobs and Kubernetes objects still kept for it.
  Outcome Forget(const std::string& resource_id);
  // Applies the decision's resources and finds them again ({name: object or null}; null without
  // resources).
  std::expected<nlohmann::json, PhaseError> ApplyResources(const Decision& decision);
  // Deletes every job of the resource; how many, or nullopt (counted as a cleanup error).
  std::optional<size_t> DeleteJobs(const std::string& resource_id);
  // `stored` (if given) tells whether the API stored the report (it discards a stale one).
  Outcome Report(const std::string& resource_id, int64_t generation,
                 const std::vector<ReportCondition>& conditions,
                 const nlohmann::json& metadata = nullptr, const nlohmann::json& data = nullptr,
                 bool* stored = nullptr);
  // Counts the error; a transient one is kTransient (retried), any other is reported as
  // Health=False ExecutionFailed:<phase>: kTerminal unless the report itself hit a transient
  // failure.
  Outcome ReportFailure(const std::string& resource_id, int64_t generation,
                        const PhaseError& failure);
  void Enqueue(const std::string& resource_id, int attempt);
  // Counts a finished job in hyperfleet_adapter_jobs_finished_total and _job_duration_seconds.
  void CountFinished(const jobs::JobState& job);
  void RetryLoop();
  void CountError(const std::string& phase);

  const AdapterConfig config_;
  const bool reads_status_;        // ReadsStatus(config_.preconditions)
  const FieldPath own_condition_;  // its reports' condition on the resource (DnsSuccessful)
  broker::Broker& broker_;
  const std::atomic<bool>& stop_;
  client::ApiClient api_;
  Metrics metrics_;
  std::unique_ptr<jobs::JobRunner> runner_;         // null without a job
  std::unique_ptr<KubernetesResources> resources_;  // null without resources
  std::unique_ptr<broker::Subscriber> subscriber_;
  std::atomic<bool> subscribed_{false};

  // Serialises the handling of one cluster (`mu`, held across its API calls and job operations:
  // that is its purpose), and keeps each cluster's Memory (`seen`, under `mu`; forgotten when
  // the cluster is gone, and all at once past kMaxSeen clusters: a forgotten cluster only has its
  // next event handled in full). Cluster ids hash onto a fixed set of stripes.
  struct Stripe {
    std::mutex mu;
    std::unordered_map<std::string, Memory> seen;
  };
  static constexpr size_t kMaxSeen = 4096;  // per stripe
  std::array<Stripe, 64> stripes_;

  std::mutex retry_mu_;  // guards retries_, queued_, stopping_
  std::condition_variable retry_cv_;
  std::deque<Retry> retries_;
  std::set<std::string> queued_;
  bool stopping_ = false;
  std::vector<std::thread> retry_threads_;  // config_.broker.parallelism of them
};

}  // namespace hf::adapter
