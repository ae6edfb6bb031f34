#pragma once

// Shared set-up for outbox tests: a migrated store, a broker, helpers to append rows and to
// collect what a subscription receives.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <set>

#include "broker/open_broker.hpp"
#include "common/uuid.hpp"
#include "model/cloud_event.hpp"
#include "outbox/reconciler.hpp"
#include "store/store.hpp"

namespace hf::outbox::testing {

// Appends `n` outbox rows for Cluster aggregates in one transaction; returns their event ids.
inline std::vector<std::string> AppendRows(store::Store& store, int n,
                                           const std::string& type = "Cluster") {
  auto tx = store.Begin(store::TxMode::kWrite);
  EXPECT_TRUE(tx) << tx.error().ToString();
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) {
    model::OutboxEvent e;
    e.event_id = NewUuidV7();
    e.aggregate_type = type;
    e.aggregate_id = NewUuidV7();
    e.aggregate_generation = 1;
    e.event_type = "com.redhat.hyperfleet.cluster.changed.v1";
    e.reason = "created";
    model::CloudEvent ce;
    ce.id = e.event_id;
    ce.source = "/hyperfleet/api";
    ce.type = e.event_type;
    ce.subject = e.aggregate_id;
    ce.time = FormatTime(Now());
    e.payload = ce.Encode();
    e.created_time = e.next_attempt_time = Now();
    auto id = (*tx)->AppendOutbox(e);
    EXPECT_TRUE(id) << id.error().ToString();
    ids.push_back(e.event_id);
  }
  EXPECT_TRUE((*tx)->Commit());
  return ids;
}

// Collects the message ids a subscription receives (counting duplicates).
class Collector {
 public:
  broker::Handler Handler() {
    return [this](const broker::Delivery& d) {
      std::lock_guard lock(mu_);
      ++count_[d.message.id];
      ++total_;
      cv_.notify_all();
      return broker::HandlerResult::kAck;
    };
  }
  // Waits until `n` distinct ids arrived or the timeout passed; returns the distinct count.
  size_t WaitDistinct(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return count_.size() >= n; });
    return count_.size();
  }
  size_t total() {
    std::lock_guard lock(mu_);
    return total_;
  }
  size_t duplicates() {
    std::lock_guard lock(mu_);
    size_t d = 0;
    for (const auto& [id, c] : count_) d += c - 1;
    return d;
  }
  bool Has(const std::string& id) {
    std::lock_guard lock(mu_);
    return count_.count(id) > 0;
  }

 private:
  std::mutex mu_;  // guards count_ and total_
  std::condition_variable cv_;
  std::map<std::string, int> count_;
  size_t total_ = 0;
};

inline int64_t Pending(store::Store& store) {
  auto tx = store.Begin(store::TxMode::kRead);
  auto stats = (*tx)->GetOutboxStats();
  return stats ? stats->pending : -1;
}

}  // namespace hf::outbox::testing
