// The outbox reconciler on SQLite with the in-process broker and a fault-injecting publisher.
#include "outbox/reconciler.hpp"

#include <gtest/gtest.h>

#include "outbox/outbox_fixture.hpp"
#include "testing/env.hpp"

namespace hf::outbox {
namespace {

using testing::AppendRows;
using testing::Collector;
using testing::Pending;

class ReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::OpenStore("sqlite:" + hf::testing::MakeTempDir("hf-outbox") + "/hf.db");
    ASSERT_TRUE(s) << s.error().ToString();
    store_ = std::move(*s);
    ASSERT_TRUE(store_->Migrate());
    broker::BrokerConfig config;
    config.memory_name = "reconciler-" + NewUuidV7();
    auto b = broker::OpenBroker(config);
    ASSERT_TRUE(b);
    broker_ = *b;
    publisher_ = std::move(*broker_->NewPublisher());
    subscriber_ = std::move(*broker_->NewSubscriber());
    ASSERT_TRUE(subscriber_->Subscribe(kTopic, "adapter-a", collector_.Handler(), {}));
  }

  static constexpr const char* kTopic = "hyperfleet.clusters.changed.v1";
  std::unique_ptr<store::Store> store_;
  std::shared_ptr<broker::Broker> broker_;
  std::unique_ptr<broker::Publisher> publisher_;
  Collector collector_;  // before subscriber_ (which calls them), so they outlive it
  Collector nodepools_;
  std::unique_ptr<broker::Subscriber> subscriber_;
};

// Fails the messages whose id is in `failing`, or every message while `down` is set.
class FlakyPublisher : public broker::Publisher {
 public:
  explicit FlakyPublisher(broker::Publisher& real) : real_(real) {}
  std::vector<Result<void>> Publish(const std::string& topic,
                                    const std::vector<broker::Message>& messages) override {
    ++calls;
    std::vector<broker::Message> pass;
    std::vector<Result<void>> out(messages.size());
    std::vector<size_t> where;
    for (size_t i = 0; i < messages.size(); ++i) {
      if (down || failing.count(messages[i].id)) {
        out[i] = Fail(ErrorCode::kUnavailable, "broker unavailable (injected)");
      } else {
        pass.push_back(messages[i]);
        where.push_back(i);
      }
    }
    auto results = real_.Publish(topic, pass);
    for (size_t k = 0; k < where.size(); ++k) out[where[k]] = results[k];
    if (throw_after_publish) throw std::runtime_error("crash after publish (injected)");
    return out;
  }
  broker::Publisher& real_;
  std::set<std::string> failing;
  std::atomic<bool> down{false};
  std::atomic<bool> throw_after_publish{false};
  std::atomic<int> calls{0};
};

TEST_F(ReconcilerTest, PublishesEveryRowExactlyOnceInBatches) {
  auto ids = AppendRows(*store_, 250);
  FlakyPublisher counting(*publisher_);
  Reconciler r(*store_, counting, {});
  int total = 0;
  for (int i = 0; i < 10; ++i) total += r.RunOnce().value_or(0);
  EXPECT_EQ(total, 250);
  EXPECT_EQ(counting.calls, 3);  // batches of 100, not one call per row
  EXPECT_EQ(collector_.WaitDistinct(250, std::chrono::seconds(5)), 250u);
  EXPECT_EQ(collector_.duplicates(), 0u);
  EXPECT_EQ(Pending(*store_), 0);
  EXPECT_EQ(r.RunOnce().value_or(-1), 0);  // nothing left
}

TEST_F(ReconcilerTest, AFailingRowBacksOffWithoutBlockingOthers) {
  auto ids = AppendRows(*store_, 5);
  FlakyPublisher flaky(*publisher_);
  flaky.failing.insert(ids[2]);
  ReconcilerOptions options;
  options.backoff.base = std::chrono::milliseconds(200);
  Reconciler r(*store_, flaky, options);
  EXPECT_EQ(r.RunOnce().value_or(-1), 4);
  EXPECT_EQ(Pending(*store_), 1);
  EXPECT_EQ(r.RunOnce().value_or(-1), 0);  // not due yet: backoff respected
  auto tx = store_->Begin(store::TxMode::kRead);
  store::OutboxQuery unpublished;
  unpublished.published = false;
  unpublished.limit = 10;
  auto page = (*tx)->ListOutbox(unpublished);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].attempts, 1);
  EXPECT_NE(page->items[0].last_error.find("injected"), std::string::npos);
  EXPECT_GT(page->items[0].next_attempt_time, Now());
  flaky.failing.clear();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(r.RunOnce().value_or(-1), 1);
  EXPECT_EQ(collector_.WaitDistinct(5, std::chrono::seconds(5)), 5u);
}

TEST_F(ReconcilerTest, BrokerDownKeepsRowsPendingUntilItReturns) {
  AppendRows(*store_, 20);
  FlakyPublisher flaky(*publisher_);
  flaky.down = true;
  ReconcilerOptions options;
  options.backoff.base = std::chrono::milliseconds(50);
  options.poll_interval = std::chrono::milliseconds(50);
  Reconciler r(*store_, flaky, options);
  EXPECT_EQ(r.PublishError(), "");  // nothing tried yet
  r.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(Pending(*store_), 20);
  EXPECT_GE(flaky.calls, 2);   // retried
  EXPECT_LT(flaky.calls, 40);  // but with backoff, not in a hot loop
  // Readiness tells why: the last pass published nothing.
  EXPECT_EQ(r.PublishError(), "broker unavailable (injected)");
  flaky.down = false;
  EXPECT_EQ(collector_.WaitDistinct(20, std::chrono::seconds(10)), 20u);
  r.Stop();
  EXPECT_EQ(Pending(*store_), 0);
  EXPECT_EQ(r.PublishError(), "");
}

TEST_F(ReconcilerTest, ACrashBeforeCommitRepublishes) {
  auto ids = AppendRows(*store_, 3);
  FlakyPublisher crashing(*publisher_);
  crashing.throw_after_publish = true;
  Reconciler r(*store_, crashing, {});
  EXPECT_THROW((void)r.RunOnce(), std::runtime_error);
  EXPECT_EQ(collector_.WaitDistinct(3, std::chrono::seconds(5)), 3u);
  EXPECT_EQ(Pending(*store_), 3);  // the marks were rolled back with the transaction
  crashing.throw_after_publish = false;
  EXPECT_EQ(r.RunOnce().value_or(-1), 3);
  EXPECT_EQ(Pending(*store_), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(collector_.total(), 6u);  // at least once: each delivered twice, none lost
}

TEST_F(ReconcilerTest, WakesOnCommitNotOnThePollInterval) {
  ReconcilerOptions options;
  options.poll_interval = std::chrono::seconds(30);
  Reconciler r(*store_, *publisher_, options);
  r.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto start = std::chrono::steady_clock::now();
  AppendRows(*store_, 1);
  EXPECT_EQ(collector_.WaitDistinct(1, std::chrono::seconds(10)), 1u);
  // Delivered long before the 30 s poll interval: the commit woke the reconciler.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  r.Stop();
}

TEST_F(ReconcilerTest, DeletesPublishedRowsPastRetention) {
  AppendRows(*store_, 4);
  ReconcilerOptions options;
  options.retention = std::chrono::milliseconds(0);
  Reconciler r(*store_, *publisher_, options);
  EXPECT_EQ(r.RunOnce().value_or(-1), 4);
  AppendRows(*store_, 1);  // unpublished: never deleted
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(r.DeleteExpired().value_or(-1), 4);
  auto tx = store_->Begin(store::TxMode::kRead);
  EXPECT_EQ((*tx)->ListOutbox({}).value().total, 1);
}

TEST_F(ReconcilerTest, RoutesEachAggregateTypeToItsTopic) {
  ASSERT_TRUE(subscriber_->Subscribe("hyperfleet.nodepools.changed.v1", "adapter-a",
                                     nodepools_.Handler(), {}));
  AppendRows(*store_, 2, "Cluster");
  AppendRows(*store_, 3, "NodePool");
  Reconciler r(*store_, *publisher_, {});
  EXPECT_EQ(r.RunOnce().value_or(-1), 5);
  EXPECT_EQ(collector_.WaitDistinct(2, std::chrono::seconds(5)), 2u);
  EXPECT_EQ(nodepools_.WaitDistinct(3, std::chrono::seconds(5)), 3u);
}

// Keeps every message it publishes through `real`.
class RecordingPublisher : public broker::Publisher {
 public:
  explicit RecordingPublisher(broker::Publisher& real) : real_(real) {}
  std::vector<Result<void>> Publish(const std::string& topic,
                                    const std::vector<broker::Message>& messages) override {
    sent.insert(sent.end(), messages.begin(), messages.end());
    return real_.Publish(topic, messages);
  }
  broker::Publisher& real_;
  std::vector<broker::Message> sent;
};

TEST_F(ReconcilerTest, MessagesCarryTheEventsNumberAmongItsResourcesEvents) {
  model::Resource c;
  c.id = NewUuidV7();
  c.kind = "Cluster";
  c.name = "numbered";
  c.href = "/api/hyperfleet/v1/clusters/" + c.id;
  c.created_time = c.updated_time = Now();
  {
    auto tx = store_->Begin(store::TxMode::kWrite);
    ASSERT_TRUE(tx);
    ASSERT_TRUE((*tx)->InsertResource(c));
    ASSERT_TRUE((*tx)->Commit());
  }
  AppendRows(*store_, 1);  // an event of a resource the store does not hold
  for (int i = 0; i < 2; ++i) {
    auto tx = store_->Begin(store::TxMode::kWrite);
    ASSERT_TRUE(tx);
    model::OutboxEvent e;
    e.event_id = NewUuidV7();
    e.aggregate_type = "Cluster";
    e.aggregate_id = c.id;
    e.aggregate_generation = 1;
    e.event_type = "com.redhat.hyperfleet.cluster.changed.v1";
    e.reason = "created";
    e.payload = "{}";
    e.created_time = e.next_attempt_time = Now();
    ASSERT_TRUE((*tx)->AppendOutbox(e));
    ASSERT_TRUE((*tx)->Commit());
  }
  RecordingPublisher recording(*publisher_);
  Reconciler r(*store_, recording, {});
  EXPECT_EQ(r.RunOnce().value_or(-1), 3);
  ASSERT_EQ(recording.sent.size(), 3u);
  std::vector<std::string> numbers;
  for (const auto& m : recording.sent) {
    const auto it = m.attributes.find(std::string(model::kAggregateSequenceAttribute));
    if (m.attributes.at("aggregate_id") == c.id) {
      ASSERT_NE(it, m.attributes.end());
      numbers.push_back(it->second);
    } else {
      EXPECT_EQ(it, m.attributes.end()) << "no number for a resource the store does not hold";
    }
  }
  EXPECT_EQ(numbers, (std::vector<std::string>{"1", "2"}));
}

}  // namespace
}  // namespace hf::outbox
