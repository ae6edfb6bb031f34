#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "broker/broker.hpp"
#include "common/backoff.hpp"
#include "common/metrics.hpp"
#include "common/result.hpp"
#include "store/store.hpp"

namespace hf::outbox {

struct ReconcilerOptions {
  int batch_size = 100;                              // rows claimed per transaction
  Duration poll_interval = std::chrono::seconds(1);  // fallback when no wake-up arrives
  // Spacing of a row's publish retries (attempt n waits backoff.Delay(n)).
  BackoffPolicy backoff{std::chrono::seconds(1), std::chrono::minutes(5), 0.2};
  Duration retention = std::chrono::hours(24);            // published rows are kept this long
  Duration retention_interval = std::chrono::minutes(1);  // how often old rows are deleted
  // Topic per aggregate type; types not listed use their kind's default_topic (model/kinds.hpp).
  std::map<std::string, std::string> topics;
};

// Turns committed outbox rows into broker messages, at least once: claims a batch of due rows
// (FOR UPDATE SKIP LOCKED on PostgreSQL, so replicas share the work), publishes them, marks them
// published and commits. A crash before the commit leaves the rows unpublished, so they are
// published again. A row whose publish fails is retried with exponential, jittered, capped
// backoff and its last_error recorded; it never blocks the other rows.
class Reconciler {
 public:
  Reconciler(store::Store& store, broker::Publisher& publisher, ReconcilerOptions options);
  ~Reconciler();

  // One claim → publish → mark → commit pass; returns how many rows were published.
  Result<int> RunOnce();
  // Deletes rows published longer than `retention` ago; returns how many.
  Result<int64_t> DeleteExpired();
  // Runs passes in a background thread: immediately again after a full batch, otherwise when
  // the store signals a new row or after poll_interval.
  void Start();
  // Stops the background thread after the current pass. Idempotent.
  void Stop();

  // The topic events of this aggregate type go to.
  std::string TopicFor(const std::string& aggregate_type) const;

  // Why the latest pass that tried to publish published nothing ("" when it published, or before
  // any attempt): readiness reports the broker through it.
  std::string PublishError() const;

 private:
  void Loop(const StopSignal& stop);
  void WaitForWork(const StopSignal& stop);

  store::Store& store_;
  broker::Publisher& publisher_;
  ReconcilerOptions options_;
  std::unique_ptr<StopSignal> stop_;  // made by Start(), signalled by Stop()
  std::thread thread_;
  mutable std::mutex error_mu_;  // guards publish_error_
  std::string publish_error_;
  metrics::Counter& published_total_;
  metrics::Counter& errors_total_;
  metrics::Histogram& publish_duration_;
};

// Registers the outbox depth gauges (pending rows, oldest pending age), read from the store at
// each scrape.
void RegisterOutboxGauges(store::Store& store);

}  // namespace hf::outbox
