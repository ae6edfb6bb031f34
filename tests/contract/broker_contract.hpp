#pragma once

// The contract every broker backend passes. A backend's test file defines a BrokerTarget and
// instantiates the suite:
//   INSTANTIATE_TEST_SUITE_P(Memory, BrokerContract, ::testing::Values(MemoryTarget()),
//                            BrokerTargetName);

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "broker/broker.hpp"
#include "common/metrics.hpp"
#include "testing/env.hpp"

namespace hf::broker::testing {

using namespace std::chrono_literals;

struct BrokerTarget {
  std::string name;
  // Environment variable the backend needs (e.g. HF_TEST_RABBITMQ_URL); empty for none.
  std::string env_var;
  // Opens the broker under test; gets the value of env_var.
  std::function<Result<std::shared_ptr<Broker>>(const std::string& env)> open;
  // Opens the same backend pointed at a server that is down (unused port); null if not
  // applicable (memory).
  std::function<Result<std::shared_ptr<Broker>>(const std::string& env)> open_down;
};

inline void PrintTo(const BrokerTarget& target, std::ostream* os) { *os << target.name; }

inline std::string BrokerTargetName(const ::testing::TestParamInfo<BrokerTarget>& info) {
  return info.param.name;
}

// Thread-safe record of deliveries, with bounded waiting.
class Recorder {
 public:
  void Add(const Delivery& d) {
    {
      std::lock_guard lock(mu_);
      deliveries_.push_back(d);
    }
    cv_.notify_all();
  }
  // Waits up to `timeout` for pred(deliveries) to hold; returns whether it did.
  bool WaitFor(const std::function<bool(const std::vector<Delivery>&)>& pred,
               std::chrono::milliseconds timeout = 20s) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return pred(deliveries_); });
  }
  bool WaitForCount(size_t n, std::chrono::milliseconds timeout = 20s) {
    return WaitFor([n](const auto& d) { return d.size() >= n; }, timeout);
  }
  std::vector<Delivery> All() const {
    std::lock_guard lock(mu_);
    return deliveries_;
  }
  std::multiset<std::string> Ids() const {
    std::multiset<std::string> ids;
    for (const auto& d : All()) ids.insert(d.message.id);
    return ids;
  }

 private:
  mutable std::mutex mu_;  // guards deliveries_
  std::condition_variable cv_;
  std::vector<Delivery> deliveries_;
};

class BrokerContract : public ::testing::TestWithParam<BrokerTarget> {
 protected:
  void SetUp() override {
    const auto& target = GetParam();
    if (!target.env_var.empty()) {
      HF_REQUIRE_ENV(value, target.env_var.c_str());
      env_ = value;
    }
    auto broker = target.open(env_);
    ASSERT_TRUE(broker.has_value()) << broker.error().ToString();
    broker_ = *broker;
    auto publisher = broker_->NewPublisher();
    ASSERT_TRUE(publisher.has_value()) << publisher.error().ToString();
    publisher_ = std::move(*publisher);
  }

  // A name unique to this run: "hf-<what>-<random>".
  static std::string Unique(const std::string& what) {
    static std::mt19937_64 rng{std::random_device{}()};
    static std::mutex mu;
    std::lock_guard lock(mu);
    return "hf-" + what + "-" + std::to_string(rng() % 1000000000);
  }

  static std::vector<Message> Messages(int n, const std::string& prefix = "m") {
    std::vector<Message> out;
    for (int i = 0; i < n; ++i) {
      const std::string id = prefix + "-" + std::to_string(i);
      out.push_back(Message{id, R"({"specversion":"1.0","id":")" + id + R"("})", {{"k", "v"}}});
    }
    return out;
  }

  static std::set<std::string> IdSet(const std::vector<Message>& messages) {
    std::set<std::string> ids;
    for (const auto& m : messages) ids.insert(m.id);
    return ids;
  }

  void PublishAll(const std::string& topic, const std::vector<Message>& messages) {
    auto results = publisher_->Publish(topic, messages);
    ASSERT_EQ(results.size(), messages.size());
    for (const auto& r : results) ASSERT_TRUE(r.has_value()) << r.error().ToString();
  }

  std::unique_ptr<Subscriber> Subscribe(const std::string& topic, const std::string& sub,
                                        Handler handler, SubscribeOptions options = Fast()) {
    auto s = broker_->NewSubscriber();
    EXPECT_TRUE(s.has_value()) << s.error().ToString();
    if (!s) return nullptr;
    auto r = (*s)->Subscribe(topic, sub, std::move(handler), options);
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return std::move(*s);
  }

  // Options with short backoffs so redelivery tests stay fast.
  static SubscribeOptions Fast() {
    SubscribeOptions o;
    o.parallelism = 2;
    o.ack_deadline = 10s;
    o.min_redelivery_backoff = 200ms;
    o.max_redelivery_backoff = 500ms;
    return o;
  }

  static Handler Record(Recorder& r) {
    return [&r](const Delivery& d) {
      r.Add(d);
      return HandlerResult::kAck;
    };
  }

  std::string env_;
  std::shared_ptr<Broker> broker_;
  std::unique_ptr<Publisher> publisher_;
};

TEST_P(BrokerContract, EverySubscriptionReceivesEveryEvent) {
  const auto topic = Unique("fanout");
  Recorder a, b;
  auto sa = Subscribe(topic, Unique("sub-a"), Record(a));
  auto sb = Subscribe(topic, Unique("sub-b"), Record(b));
  const auto messages = Messages(10);
  PublishAll(topic, messages);
  ASSERT_TRUE(a.WaitForCount(10)) << a.All().size();
  ASSERT_TRUE(b.WaitForCount(10)) << b.All().size();
  EXPECT_TRUE(sa->Stop().has_value());
  EXPECT_TRUE(sb->Stop().has_value());
  for (auto* r : {&a, &b}) {
    const auto ids = r->Ids();
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), IdSet(messages));
    for (const auto& d : r->All()) {
      EXPECT_EQ(d.topic, topic);
      EXPECT_EQ(d.attempt, 1);
      EXPECT_EQ(d.message.attributes.at("k"), "v");
      EXPECT_EQ(d.message.body, R"({"specversion":"1.0","id":")" + d.message.id + R"("})");
    }
  }
}

TEST_P(BrokerContract, ConsumersOfOneSubscriptionSplitTheEvents) {
  const auto topic = Unique("compete");
  const auto sub = Unique("sub");
  Recorder a, b;
  auto slow = [](Recorder& r) {
    return [&r](const Delivery& d) {
      r.Add(d);
      std::this_thread::sleep_for(20ms);  // lets the other consumer take its share
      return HandlerResult::kAck;
    };
  };
  SubscribeOptions one = Fast();
  one.parallelism = 1;
  auto sa = Subscribe(topic, sub, slow(a), one);
  auto sb = Subscribe(topic, sub, slow(b), one);
  const auto messages = Messages(40);
  PublishAll(topic, messages);
  Recorder* both[] = {&a, &b};
  const auto total = [&] { return a.All().size() + b.All().size(); };
  for (int i = 0; i < 300 && total() < messages.size(); ++i) std::this_thread::sleep_for(50ms);
  std::this_thread::sleep_for(300ms);  // would reveal duplicates
  EXPECT_TRUE(sa->Stop().has_value());
  EXPECT_TRUE(sb->Stop().has_value());
  std::multiset<std::string> all;
  for (auto* r : both) {
    EXPECT_GT(r->All().size(), 0u) << "one consumer got nothing";
    for (const auto& id : r->Ids()) all.insert(id);
  }
  EXPECT_EQ(all.size(), messages.size()) << "duplicates or losses";
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()), IdSet(messages));
}

TEST_P(BrokerContract, NackRedeliversWithBackoff) {
  const auto topic = Unique("nack");
  Recorder r;
  std::vector<std::chrono::steady_clock::time_point> times;
  std::mutex mu;
  auto s = Subscribe(topic, Unique("sub"), [&](const Delivery& d) {
    {
      std::lock_guard lock(mu);
      times.push_back(std::chrono::steady_clock::now());
    }
    r.Add(d);
    return d.attempt < 3 ? HandlerResult::kNack : HandlerResult::kAck;
  });
  PublishAll(topic, Messages(1, "nack"));
  ASSERT_TRUE(r.WaitForCount(3)) << r.All().size();
  std::this_thread::sleep_for(500ms);  // no further redelivery after the Ack
  EXPECT_TRUE(s->Stop().has_value());
  const auto all = r.All();
  ASSERT_EQ(all.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(all[i].attempt, i + 1);
    EXPECT_EQ(all[i].message.id, "nack-0");
  }
  // The per-topic broker series count it: one published, three consumed, two handler errors.
  auto& registry = metrics::Registry::Default();
  auto counter = [&](const char* name, std::vector<std::string> labels,
                     std::vector<std::string> values) {
    return registry.AddCounter(name, "", std::move(labels)).WithLabels(values).Value();
  };
  EXPECT_EQ(counter("hyperfleet_broker_messages_published_total", {"topic"}, {topic}), 1);
  EXPECT_EQ(counter("hyperfleet_broker_messages_consumed_total", {"topic"}, {topic}), 3);
  EXPECT_EQ(counter("hyperfleet_broker_errors_total", {"topic", "error_type"}, {topic, "handler"}),
            2);
  std::lock_guard lock(mu);
  // Backoff: min 200 ms with ±20 % jitter, so at least 160 ms between deliveries.
  EXPECT_GE(times[1] - times[0], 150ms);
  EXPECT_GE(times[2] - times[1], 150ms);
}

TEST_P(BrokerContract, DeadLettersAfterMaxAttempts) {
  const auto topic = Unique("dlq");
  const auto sub = Unique("sub");
  Recorder attempts, dead;
  SubscribeOptions o = Fast();
  o.max_delivery_attempts = 3;
  o.min_redelivery_backoff = 100ms;
  o.max_redelivery_backoff = 200ms;
  auto s = Subscribe(
      topic, sub,
      [&](const Delivery& d) {
        attempts.Add(d);
        return HandlerResult::kNack;
      },
      o);
  PublishAll(topic, Messages(1, "poison"));
  auto dlq = Subscribe(DeadLetterName(sub), DeadLetterName(sub), Record(dead));
  ASSERT_TRUE(dead.WaitForCount(1, 30s)) << "attempts seen: " << attempts.All().size();
  EXPECT_EQ(dead.All()[0].message.id, "poison-0");
  EXPECT_EQ(dead.All()[0].message.body, Messages(1, "poison")[0].body);
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(s->Stop().has_value());
  EXPECT_TRUE(dlq->Stop().has_value());
  EXPECT_EQ(attempts.All().size(), 3u);
  EXPECT_EQ(attempts.All().back().attempt, 3);
  EXPECT_EQ(dead.All().size(), 1u);
}

TEST_P(BrokerContract, EventsSurviveSubscriberRestart) {
  const auto topic = Unique("restart");
  const auto sub = Unique("sub");
  Recorder first, second;
  auto s1 = Subscribe(topic, sub, Record(first));
  PublishAll(topic, Messages(1, "before"));
  ASSERT_TRUE(first.WaitForCount(1));
  ASSERT_TRUE(s1->Stop().has_value());
  s1.reset();
  PublishAll(topic, Messages(5, "while-down"));
  auto s2 = Subscribe(topic, sub, Record(second));
  ASSERT_TRUE(second.WaitForCount(5)) << second.All().size();
  EXPECT_TRUE(s2->Stop().has_value());
  const auto ids = second.Ids();
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()), IdSet(Messages(5, "while-down")));
}

TEST_P(BrokerContract, PublishFailsFastWhenBrokerIsDown) {
  if (!GetParam().open_down) GTEST_SKIP() << "the memory broker cannot be down";
  auto down = GetParam().open_down(env_);
  ASSERT_TRUE(down.has_value()) << down.error().ToString();
  auto publisher = (*down)->NewPublisher();
  ASSERT_TRUE(publisher.has_value()) << publisher.error().ToString();
  const auto start = std::chrono::steady_clock::now();
  auto results = (*publisher)->Publish(Unique("down"), Messages(3));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(results.size(), 3u);
  for (const auto& r : results) {
    ASSERT_FALSE(r.has_value());
    EXPECT_TRUE(r.error().Transient()) << r.error().ToString();
  }
  EXPECT_LT(elapsed, 20s) << "publish hung";
  EXPECT_GE((*down)->Stats().publish_errors, 3u);
}

TEST_P(BrokerContract, StopDrainsInFlightHandlers) {
  const auto topic = Unique("drain");
  const auto sub = Unique("sub");
  std::atomic<int> started{0}, finished{0};
  auto s = Subscribe(topic, sub, [&](const Delivery&) {
    started++;
    std::this_thread::sleep_for(500ms);
    finished++;
    return HandlerResult::kAck;
  });
  PublishAll(topic, Messages(1, "slow"));
  for (int i = 0; i < 400 && started == 0; ++i) std::this_thread::sleep_for(50ms);
  ASSERT_EQ(started, 1);
  const auto result = s->Stop(10s);
  EXPECT_TRUE(result.has_value()) << result.error().ToString();
  EXPECT_EQ(finished, 1) << "Stop returned before the handler finished";
  // The handler's Ack was applied: a new consumer does not get the message again.
  Recorder again;
  auto s2 = Subscribe(topic, sub, Record(again));
  PublishAll(topic, Messages(1, "marker"));
  ASSERT_TRUE(again.WaitForCount(1));
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(s2->Stop().has_value());
  EXPECT_EQ(again.Ids().count("slow-0"), 0u);
}

TEST_P(BrokerContract, ParallelismBoundIsRespected) {
  const auto topic = Unique("parallel");
  std::atomic<int> running{0}, peak{0}, done{0};
  SubscribeOptions o = Fast();
  o.parallelism = 3;
  auto s = Subscribe(
      topic, Unique("sub"),
      [&](const Delivery&) {
        const int now = ++running;
        int seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(50ms);
        running--;
        done++;
        return HandlerResult::kAck;
      },
      o);
  PublishAll(topic, Messages(20));
  for (int i = 0; i < 400 && done < 20; ++i) std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(s->Stop().has_value());
  EXPECT_GE(done, 20);
  EXPECT_LE(peak, 3);
  EXPECT_GE(peak, 1);
}

TEST_P(BrokerContract, RejectsBadNamesAndOptions) {
  auto s = broker_->NewSubscriber();
  ASSERT_TRUE(s.has_value());
  Recorder r;
  SubscribeOptions bad = Fast();
  bad.parallelism = 0;
  EXPECT_EQ((*s)->Subscribe(Unique("t"), Unique("s"), Record(r), bad).error().code,
            ErrorCode::kInvalidArgument);
  EXPECT_EQ((*s)->Subscribe("bad topic", Unique("s"), Record(r), Fast()).error().code,
            ErrorCode::kInvalidArgument);
  auto results = publisher_->Publish("bad/topic", Messages(1));
  ASSERT_EQ(results.size(), 1u);
  ASSERT_FALSE(results[0].has_value());
  EXPECT_EQ(results[0].error().code, ErrorCode::kInvalidArgument);
}

}  // namespace hf::broker::testing
