// RabbitMqSubscriber's consuming thread against a real RabbitMQ ($HF_TEST_RABBITMQ_URL).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "broker/rabbitmq/rabbitmq_publisher.hpp"
#include "broker/rabbitmq/rabbitmq_subscriber.hpp"
#include "testing/env.hpp"

namespace hf::broker::detail {
namespace {

using namespace std::chrono_literals;

// RabbitMQ hands out no more than `parallelism` unacknowledged deliveries. With one at a time and
// an idle wait of an hour, every delivery after the first arrives only because the handler's ack
// is sent as soon as the handler returns, not at the consuming thread's next idle wake-up; and
// Stop returns without waiting for that wake-up either.
TEST(RabbitMqSubscriber, SendsEachAckAsSoonAsItsHandlerReturns) {
  HF_REQUIRE_ENV(url, "HF_TEST_RABBITMQ_URL");
  auto counters = std::make_shared<Counters>();
  RabbitMqSubscriber subscriber(url, 3s, counters, std::chrono::hours(1));
  const std::string topic = "hf-test-ack-at-once-" + std::to_string(::getpid());
  std::atomic<int> handled{0};
  SubscribeOptions options;
  options.parallelism = 1;
  auto subscribed = subscriber.Subscribe(
      topic, "ack-at-once",
      [&](const Delivery&) {
        handled++;
        return HandlerResult::kAck;
      },
      options);
  ASSERT_TRUE(subscribed) << subscribed.error().ToString();
  RabbitMqPublisher publisher(url, 3s, counters);
  constexpr int kMessages = 5;
  for (int i = 0; i < kMessages; ++i) {
    auto results = publisher.Publish(topic, {{"m" + std::to_string(i), "{}", {}}});
    ASSERT_EQ(results.size(), 1u);
    ASSERT_TRUE(results[0]) << results[0].error().ToString();
  }
  // A bound for a hung test, not a speed requirement: without the prompt ack this waits an hour.
  for (auto deadline = std::chrono::steady_clock::now() + 30s;
       handled < kMessages && std::chrono::steady_clock::now() < deadline;) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(handled.load(), kMessages);
  EXPECT_TRUE(subscriber.Stop(5s));
  EXPECT_EQ(counters->acked.load(), static_cast<uint64_t>(kMessages));
}

}  // namespace
}  // namespace hf::broker::detail
