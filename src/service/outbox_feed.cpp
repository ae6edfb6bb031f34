#include "service/outbox_feed.hpp"

#include "common/log.hpp"

namespace hf::service {
namespace {

const log::Logger kLog{"feed"};
// Rows read per query.
constexpr int64_t kPageRows = 500;
// Missing ids recorded at once; a larger jump (a sequence that skipped ahead) is not awaited.
constexpr int64_t kMaxGap = 1000;
// How often the thread looks for new subscribers and Stop() while it waits.
constexpr auto kCheckInterval = std::chrono::milliseconds(200);

}  // namespace

bool FeedFilter::Matches(const model::OutboxEvent& e) const {
  return (!aggregate_id || *aggregate_id == e.aggregate_id) &&
         (!aggregate_type || *aggregate_type == e.aggregate_type);
}

OutboxFeed::OutboxFeed(store::Store& store, OutboxFeedOptions options)
    : store_(store), options_(options) {}

OutboxFeed::~OutboxFeed() { Stop(); }

Result<OutboxFeed::Slot> OutboxFeed::Reserve() {
  if (reserved_.fetch_add(1) >= options_.max_subscribers) {
    --reserved_;
    return Fail(ErrorCode::kUnavailable, "too many open event streams (" +
                                             std::to_string(options_.max_subscribers) +
                                             "); retry later");
  }
  return Slot(static_cast<void*>(this), [this](void*) { --reserved_; });
}

void OutboxFeed::Subscribe(Slot slot, FeedFilter filter, std::optional<int64_t> after,
                           std::shared_ptr<FeedSubscriber> subscriber) {
  std::lock_guard lock(mu_);
  if (stopping_) return;
  joining_.push_back({std::move(slot), std::move(filter), after, std::move(subscriber), {}});
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  cv_.notify_all();
}

void OutboxFeed::Stop() {
  std::thread thread;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    thread.swap(thread_);
  }
  cv_.notify_all();
  if (thread.joinable()) thread.join();
  std::lock_guard lock(mu_);
  joining_.clear();
}

void OutboxFeed::Run() {
  auto next_poll = Clock::now();
  for (;;) {
    std::vector<Subscription> joining;
    {
      std::unique_lock lock(mu_);
      if (subscriptions_.empty() && joining_.empty()) {
        started_ = false;  // nobody listens: no reads until someone does
        cv_.wait(lock, [&] { return stopping_ || !joining_.empty(); });
      }
      if (stopping_) break;
      joining.swap(joining_);
    }
    if (!started_ && !Start()) {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, options_.poll, [&] { return stopping_; });
      std::move(joining.begin(), joining.end(), std::back_inserter(joining_));
      continue;
    }
    for (auto& s : joining) Join(std::move(s));
    if (Clock::now() >= next_poll) {
      if (auto polled = Poll(); !polled) {
        if (int suppressed = 0; store_errors_.Allow(suppressed)) {
          kLog.Warn("reading the outbox failed", {{"error", polled.error().ToString()},
                                                  {"failures_since_last_line", suppressed}});
        }
      }
      next_poll = Clock::now() + std::min(options_.poll, options_.heartbeat);
    }
    Heartbeats();
    // Wait for a commit, the poll interval, a new subscriber or Stop().
    while (Clock::now() < next_poll) {
      {
        std::lock_guard lock(mu_);
        if (stopping_ || !joining_.empty()) break;
      }
      if (store_.WaitForOutbox(kCheckInterval)) {
        next_poll = Clock::now();
        break;
      }
    }
  }
  subscriptions_.clear();
}

bool OutboxFeed::Start() {
  auto stats = [&]() -> Result<store::OutboxStats> {
    auto tx = HF_TRY(store_.Begin(store::TxMode::kRead));
    return tx->GetOutboxStats();
  }();
  if (!stats) {
    if (int suppressed = 0; store_errors_.Allow(suppressed)) {
      kLog.Warn("reading the outbox failed",
                {{"error", stats.error().ToString()}, {"failures_since_last_line", suppressed}});
    }
    return false;
  }
  settled_ = max_seen_ = stats->last_id;
  seen_.clear();
  gaps_.clear();
  started_ = true;
  return true;
}

void OutboxFeed::Join(Subscription s) {
  s.last_sent = Clock::now();
  if (s.after && *s.after < max_seen_) {
    auto caught_up = [&]() -> Result<bool> {
      auto tx = HF_TRY(store_.Begin(store::TxMode::kRead));
      // Nothing missed: the row resumed from, or the one after it, is still there (rows are
      // deleted in publish order, so none after it is gone).
      store::OutboxQuery exists;
      exists.after_id = *s.after - 1;
      exists.limit = 1;
      exists.with_total = false;
      auto first = HF_TRY(tx->ListOutbox(exists));
      if (first.items.empty() || first.items.front().id > *s.after + 1) return false;
      store::OutboxQuery q;
      q.aggregate_id = s.filter.aggregate_id;
      q.aggregate_type = s.filter.aggregate_type;
      q.after_id = *s.after;
      q.limit = kPageRows;
      q.with_total = false;
      for (;;) {
        auto page = HF_TRY(tx->ListOutbox(q));
        for (const auto& e : page.items) {
          if (e.id > max_seen_) return true;  // live from here
          if (!s.subscriber->OnEvent(e)) return true;
        }
        if (static_cast<int64_t>(page.items.size()) < kPageRows) return true;
        q.after_id = page.items.back().id;
      }
    }();
    if (!caught_up) {
      kLog.Warn("catching up an event stream failed", {{"error", caught_up.error().ToString()}});
      return;  // the subscriber's slot goes: its stream ends, and it may resume later
    }
    if (!*caught_up && !s.subscriber->OnReset(max_seen_)) return;
  }
  if (!s.subscriber->OnIdle()) return;  // says it is live
  subscriptions_.push_back(std::move(s));
}

Result<void> OutboxFeed::Poll() {
  auto tx = HF_TRY(store_.Begin(store::TxMode::kRead));
  const auto now = Clock::now();
  store::OutboxQuery q;
  q.after_id = settled_;
  q.limit = kPageRows;
  q.with_total = false;
  for (;;) {
    auto page = HF_TRY(tx->ListOutbox(q));
    for (const auto& e : page.items) {
      if (e.id > max_seen_) {
        const int64_t missing = e.id - max_seen_ - 1;
        if (missing <= kMaxGap) {
          for (int64_t id = max_seen_ + 1; id < e.id; ++id) gaps_.emplace(id, now);
        }
        max_seen_ = e.id;
      } else if (seen_.contains(e.id) || !gaps_.erase(e.id)) {
        continue;  // delivered already
      }
      seen_.insert(e.id);
      Deliver(e);
    }
    if (static_cast<int64_t>(page.items.size()) < kPageRows) break;
    q.after_id = page.items.back().id;
  }
  // Settle every id delivered, or missing for longer than gap_grace (rolled back).
  while (settled_ < max_seen_) {
    const int64_t next = settled_ + 1;
    if (!seen_.erase(next)) {
      auto gap = gaps_.find(next);
      if (gap != gaps_.end()) {
        if (now - gap->second < options_.gap_grace) break;
        gaps_.erase(gap);
      }
    }
    settled_ = next;
  }
  return Ok();
}

void OutboxFeed::Deliver(const model::OutboxEvent& e) {
  const auto now = Clock::now();
  std::erase_if(subscriptions_, [&](Subscription& s) {
    if (!s.filter.Matches(e)) return false;
    s.last_sent = now;
    return !s.subscriber->OnEvent(e);
  });
}

void OutboxFeed::Heartbeats() {
  const auto now = Clock::now();
  std::erase_if(subscriptions_, [&](Subscription& s) {
    if (!s.subscriber->Alive()) return true;
    if (now - s.last_sent < options_.heartbeat) return false;
    s.last_sent = now;
    return !s.subscriber->OnIdle();
  });
}

}  // namespace hf::service
