#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/log_throttle.hpp"
#include "common/result.hpp"
#include "model/outbox_event.hpp"
#include "store/store.hpp"

namespace hf::service {

// Which outbox rows a subscriber wants; an unset field matches every row.
struct FeedFilter {
  std::optional<std::string> aggregate_id;
  std::optional<std::string> aggregate_type;

  [[nodiscard]] bool Matches(const model::OutboxEvent& e) const;
};

// Told about outbox rows by the feed, on the feed's thread, one call at a time; must not block.
// Each call returns false when the subscriber is gone: the feed then drops it.
class FeedSubscriber {
 public:
  virtual ~FeedSubscriber() = default;
  // A committed row matching the filter. Rows come in id order, except a row of a transaction
  // that committed after a later id was seen (PostgreSQL), which comes when it commits.
  virtual bool OnEvent(const model::OutboxEvent& e) = 0;
  // The rows after the id resumed from are no longer all retained: the subscriber should re-read
  // what it shows. Rows after `last_id` follow.
  virtual bool OnReset(int64_t last_id) = 0;
  // Once when the subscriber is live (caught up), then after each OutboxFeedOptions::heartbeat
  // without a row.
  virtual bool OnIdle() = 0;
  // False once the subscriber is gone (asked at least every `poll`, so its slot is freed).
  [[nodiscard]] virtual bool Alive() const = 0;
};

struct OutboxFeedOptions {
  size_t max_subscribers = 64;                  // Reserve() past it is Unavailable
  std::chrono::milliseconds heartbeat{15'000};  // OnIdle after this long without a row
  std::chrono::milliseconds poll{1'000};        // the longest between reads of the outbox
  std::chrono::milliseconds gap_grace{5'000};   // how long a missing id below the newest
                                                // row seen is awaited (an open transaction)
};

// Tails the outbox for live subscribers (the API's event stream): one thread reads the rows
// committed since the last read when the store's outbox wake-up fires (NOTIFY / in-process) or
// every `poll`, and fans them out. The thread runs only while someone subscribes. Thread-safe.
class OutboxFeed {
 public:
  // A reserved place for one subscriber; released when the last copy goes.
  using Slot = std::shared_ptr<void>;

  explicit OutboxFeed(store::Store& store, OutboxFeedOptions options = {});
  ~OutboxFeed();  // Stop()
  OutboxFeed(const OutboxFeed&) = delete;
  OutboxFeed& operator=(const OutboxFeed&) = delete;

  // A place for one more subscriber; Unavailable when max_subscribers hold one.
  [[nodiscard]] Result<Slot> Reserve();
  // Starts telling `subscriber` (held in `slot` until it returns false or the feed stops) about
  // the rows matching `filter`: those after `after` first, when set and still retained (else
  // OnReset), then each row as it is committed.
  void Subscribe(Slot slot, FeedFilter filter, std::optional<int64_t> after,
                 std::shared_ptr<FeedSubscriber> subscriber);
  // Ends the thread and drops every subscriber; idempotent.
  void Stop();

 private:
  struct Subscription {
    Slot slot;
    FeedFilter filter;
    std::optional<int64_t> after;
    std::shared_ptr<FeedSubscriber> subscriber;
    std::chrono::steady_clock::time_point last_sent;
  };
  using Clock = std::chrono::steady_clock;

  void Run();
  // Reads the newest id once there is someone to tell; false if the store failed.
  bool Start();
  void Join(Subscription s);
  Result<void> Poll();
  void Deliver(const model::OutboxEvent& e);
  void Heartbeats();

  store::Store& store_;
  const OutboxFeedOptions options_;
  std::atomic<size_t> reserved_{0};
  log::Throttle store_errors_;  // one warning a second while the store fails

  std::mutex mu_;  // guards the members below
  std::condition_variable cv_;
  std::vector<Subscription> joining_;
  bool stopping_ = false;
  std::thread thread_;

  // The feed thread's own (no lock): every id up to settled_ was delivered or given up on;
  // seen_ holds the ids delivered above it, gaps_ the missing ones below max_seen_ and since when.
  std::vector<Subscription> subscriptions_;
  bool started_ = false;
  int64_t settled_ = 0;
  int64_t max_seen_ = 0;
  std::set<int64_t> seen_;
  std::map<int64_t, Clock::time_point> gaps_;
};

}  // namespace hf::service
