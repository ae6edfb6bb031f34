#pragma once

// The event ticker (docs/architecture.md#the-flow-of-one-event): every poll_interval it lists,
// through the API, the resources that need attention and asks the API for an event for each one
// whose Decide() says so. Front door of src/ticker: Decide (decision.hpp), the search filters
// (queries.hpp) and the API seam (fleet_api.hpp) are its parts.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "common/metrics.hpp"
#include "common/result.hpp"
#include "model/kinds.hpp"
#include "ticker/decision.hpp"
#include "ticker/fleet_api.hpp"

namespace hf::ticker {

struct TickerOptions {
  std::string resource_type{model::kCluster.plural};      // a kind's plural
  Duration poll_interval = std::chrono::seconds(5);       // time between poll starts
  Duration error_backoff_max = std::chrono::seconds(30);  // cap of the retry wait after failures
  DecisionOptions decision;
};

// kInvalidArgument naming the first bad field: resource_type not clusters|nodepools, a
// non-positive poll_interval, backoff_base or max_age_ready, backoff_max < backoff_base, a
// negative debounce, jitter outside [0, 1).
Result<void> Validate(const TickerOptions& options);

// Runs the poll loop. State per resource lives in memory only; a resource not listed for
// max(backoff_max, 10 × poll_interval) is forgotten. The ticker never talks to the broker or the
// database. Public members are thread-safe.
class Ticker {
 public:
  using Clock = std::function<Time()>;
  using Random = std::function<double()>;  // uniform in [0, 1]

  // `api` is borrowed and must outlive the ticker. `clock` and `random` default to the wall
  // clock and a seeded PRNG; tests inject their own.
  Ticker(FleetApi& api, TickerOptions options, Clock clock = nullptr, Random random = nullptr);
  ~Ticker();

  // One poll: list (both filters), decide, request (up to kRequestConcurrency requests in
  // flight). An error when a listing fails; then no request is made and the per-resource state
  // is untouched. Failed event requests are counted, logged and retried on a later poll, but
  // do not fail the poll.
  Result<void> PollOnce();

  // Polls in a background thread, every poll_interval after success; after consecutive
  // failures it waits poll_interval·2^(n−1) (capped at error_backoff_max, ±10 %). Never exits on
  // its own.
  void Start();
  // Stops the thread after the current poll. Idempotent.
  void Stop();

  // /readyz: "" once a poll succeeded and the latest poll did not fail, else why not.
  std::string Readiness() const;
  // /healthz: "" unless the last successful poll (or the start, before any) is older than
  // 3 × poll_interval.
  std::string Liveness() const;

  // Number of resources with remembered state (for tests).
  size_t TrackedResources() const;

 private:
  struct Entry {
    BackoffState state;
    Time last_seen{};
  };
  struct Metrics {
    metrics::Gauge& pending;
    metrics::Family<metrics::Counter>& requested;
    metrics::Family<metrics::Counter>& skipped;
    metrics::Histogram& poll_duration;
    metrics::Counter& api_errors;
    metrics::Gauge& last_success;
  };
  // A resource for which an event is to be requested: the decision, and the state before it.
  struct Due {
    std::string id;
    Decision decision;
    BackoffState state;
  };
  // Event requests of one poll in flight at once, at most.
  static constexpr size_t kRequestConcurrency = 8;

  static Metrics RegisterMetrics(const std::string& resource_type);
  void Loop();
  // Decides for one listed resource (on the polling thread: it draws from random_). Records the
  // outcome when no request is due; otherwise returns what Request() needs.
  std::optional<Due> Plan(const nlohmann::json& resource, Time now);
  // Requests the event and records the state to keep; called from several threads at once.
  void Request(Due& due, Time now);

  FleetApi& api_;
  const TickerOptions options_;
  const Clock clock_;
  Random random_;  // only used from the polling thread
  Metrics metrics_;
  const Time started_;

  mutable std::mutex mu_;  // guards entries_, last_success_, last_error_
  std::map<std::string, Entry> entries_;
  std::optional<Time> last_success_;
  std::string last_error_;

  std::mutex stop_mu_;  // guards stop_ for the condition variable
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace hf::ticker
