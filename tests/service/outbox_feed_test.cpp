// OutboxFeed on SQLite in memory: rows as they commit, in id order and filtered; a subscriber
// resuming after an id gets what it missed first, or a reset when that row is gone; the
// subscriber limit; heartbeats; a subscriber that is gone is dropped and frees its slot.
#include "service/outbox_feed.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "service_fixture.hpp"

namespace hf::service {
namespace {

using namespace std::chrono_literals;
using testing::Must;
using testing::ServiceTest;

// Records what it is told; `alive` false makes it gone.
class Recorder : public FeedSubscriber {
 public:
  bool OnEvent(const model::OutboxEvent& e) override {
    return Add("event " + std::to_string(e.id) + " " + e.reason + " " + e.aggregate_type);
  }
  bool OnReset(int64_t last_id) override { return Add("reset " + std::to_string(last_id)); }
  bool OnIdle() override { return Add("idle"); }
  bool Alive() const override { return alive; }

  // Waits until `n` entries that are not "idle" arrived (or 5 s); returns them.
  std::vector<std::string> Await(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, 5s, [&] { return Seen().size() >= n; });
    return Seen();
  }
  // Waits for the `n`th "idle".
  bool AwaitIdle(size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 5s, [&] {
      return std::count(log_.begin(), log_.end(), "idle") >= static_cast<long>(n);
    });
  }

  std::atomic<bool> alive{true};

 private:
  bool Add(std::string line) {
    {
      std::lock_guard lock(mu_);
      log_.push_back(std::move(line));
    }
    cv_.notify_all();
    return alive;
  }
  std::vector<std::string> Seen() const {
    std::vector<std::string> out;
    for (const auto& l : log_) {
      if (l != "idle") out.push_back(l);
    }
    return out;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> log_;
};

class OutboxFeedTest : public ServiceTest {
 protected:
  OutboxFeedOptions Options() {
    OutboxFeedOptions o;
    o.max_subscribers = 2;
    o.heartbeat = 100ms;
    o.poll = 50ms;
    return o;
  }
  std::shared_ptr<Recorder> Subscribe(OutboxFeed& feed, FeedFilter filter = {},
                                      std::optional<int64_t> after = std::nullopt) {
    auto r = std::make_shared<Recorder>();
    feed.Subscribe(Must(feed.Reserve()), std::move(filter), after, r);
    EXPECT_TRUE(r->AwaitIdle(1)) << "never live";
    return r;
  }
  int64_t LastId() { return Events().back().id; }
};

TEST_F(OutboxFeedTest, DeliversCommittedRowsInOrderToTheSubscribersTheyMatch) {
  OutboxFeed feed(*store_, Options());
  auto all = Subscribe(feed);
  auto clusters = Subscribe(feed, {std::nullopt, "Cluster"});
  auto c = CreateCluster("alpha");
  auto np = CreateNodePool(c.id, "pool");
  const int64_t first = LastId() - 1;
  const std::vector<std::string> both = {
      "event " + std::to_string(first) + " created Cluster",
      "event " + std::to_string(first + 1) + " created NodePool"};
  EXPECT_EQ(all->Await(2), both);
  EXPECT_EQ(clusters->Await(1), std::vector<std::string>{both[0]});
  EXPECT_EQ(clusters->Await(2).size(), 1u);
}

TEST_F(OutboxFeedTest, ResumesAfterAnIdOrResetsWhenItIsNoLongerRetained) {
  auto a = CreateCluster("alpha");
  const int64_t a_id = LastId();
  CreateCluster("beta");
  const int64_t b_id = LastId();
  OutboxFeed feed(*store_, Options());
  auto resumed = Subscribe(feed, {}, a_id);
  EXPECT_EQ(resumed->Await(1),
            std::vector<std::string>{"event " + std::to_string(b_id) + " created Cluster"});

  // Publish and purge everything: the ids resumed from are gone.
  {
    auto tx = Must(store_->Begin(store::TxMode::kWrite));
    Must(tx->MarkPublished({a_id, b_id}, Now() - 1h));
    EXPECT_EQ(Must(tx->DeletePublishedBefore(Now(), 100)), 2);
    Must(tx->Commit());
  }
  auto c = CreateCluster("gamma");
  const int64_t c_id = LastId();
  EXPECT_EQ(resumed->Await(2).back(), "event " + std::to_string(c_id) + " created Cluster");
  resumed.reset();
  auto late = std::make_shared<Recorder>();
  feed.Subscribe(Must(feed.Reserve()), {}, a_id, late);
  EXPECT_EQ(late->Await(1), std::vector<std::string>{"reset " + std::to_string(c_id)});
}

TEST_F(OutboxFeedTest, LimitsSubscribersAndFreesTheSlotOfOneThatIsGone) {
  OutboxFeed feed(*store_, Options());
  auto one = Subscribe(feed);
  auto two = Subscribe(feed);
  auto refused = feed.Reserve();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(one->AwaitIdle(3)) << "heartbeats while idle";
  one->alive = false;
  bool freed = false;
  for (int i = 0; i < 100 && !freed; ++i) {
    freed = static_cast<bool>(feed.Reserve());
    if (!freed) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(freed);
}

}  // namespace
}  // namespace hf::service
