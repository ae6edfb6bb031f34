// PubSubSubscriber's puller against the Pub/Sub emulator ($HF_TEST_PUBSUB_EMULATOR_HOST).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "broker/pubsub/pubsub_client.hpp"
#include "broker/pubsub/pubsub_subscriber.hpp"
#include "testing/env.hpp"

namespace hf::broker::detail {
namespace {

using namespace std::chrono_literals;

// The puller asks for one batch more than its free handler slots, so the next messages are
// already here when a handler finishes (a pull is a round trip of its own). With one slot, busy
// on the first message, the second is leased to the subscriber too: another client pulling the
// subscription finds nothing. Pulling only for free slots left it in the subscription.
TEST(PubSubSubscriber, PullsOneBatchAheadOfItsHandlers) {
  HF_REQUIRE_ENV(host, "HF_TEST_PUBSUB_EMULATOR_HOST");
  PubSubSettings settings;
  settings.project = "hf-pull-ahead-" + std::to_string(::getpid());
  settings.emulator_host = host;
  auto client = std::make_shared<PubSubClient>(settings);
  const std::string topic = "pull-ahead", subscription = "pull-ahead-sub";
  ASSERT_TRUE(client->EnsureTopic(topic));
  ASSERT_TRUE(client->EnsureSubscription(subscription, topic, {{"ackDeadlineSeconds", 60}}));
  ASSERT_TRUE(client->Publish(topic, {{"first", "{}", {}}, {"second", "{}", {}}}));

  std::mutex mu;
  std::condition_variable cv;
  int started = 0;
  bool release = false;
  PubSubSubscriber subscriber(client, std::make_shared<Counters>());
  SubscribeOptions options;
  options.parallelism = 1;
  auto subscribed = subscriber.Subscribe(
      topic, subscription,
      [&](const Delivery&) {
        std::unique_lock lock(mu);
        ++started;
        cv.notify_all();
        cv.wait_for(lock, 30s, [&] { return release; });  // bound for a hung test only
        return HandlerResult::kAck;
      },
      options);
  ASSERT_TRUE(subscribed) << subscribed.error().ToString();
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 30s, [&] { return started == 1; }));
  }
  // The emulator holds an empty pull open; ours gives up after 2 s (an error or nothing).
  auto other = client->Pull(subscription, 10, 2s, nullptr);
  EXPECT_TRUE(!other || other->empty()) << "the second message was still in the subscription";
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  EXPECT_TRUE(subscriber.Stop(10s));
}

}  // namespace
}  // namespace hf::broker::detail
