// The outbox reconciler publishing to the real Pub/Sub emulator and a real RabbitMQ server.
#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include "outbox/outbox_fixture.hpp"
#include "outbox/reconciler.hpp"
#include "testing/env.hpp"

namespace hf::outbox {
namespace {

using testing::AppendRows;
using testing::Collector;
using testing::Pending;

std::unique_ptr<store::Store> SqliteStore() {
  auto s = store::OpenStore("sqlite:" + hf::testing::MakeTempDir("hf-outbox-broker") + "/hf.db");
  EXPECT_TRUE(s);
  EXPECT_TRUE((*s)->Migrate());
  return std::move(*s);
}

void PublishesAllAndSurvivesAnOutage(const broker::BrokerConfig& config, const std::string& stop,
                                     const std::string& start) {
  auto store = SqliteStore();
  auto broker = broker::OpenBroker(config);
  ASSERT_TRUE(broker) << broker.error().ToString();
  const std::string suffix = NewUuidV7().substr(24);
  const std::string topic = "hf-outbox-" + suffix;
  // Unique too: a subscription that exists keeps its topic (a repeat on the same emulator
  // would pull from the previous run's topic).
  const std::string subscription = "adapter-" + suffix;
  ReconcilerOptions options;
  options.topics["Cluster"] = topic;
  options.poll_interval = std::chrono::milliseconds(100);
  options.backoff.base = std::chrono::milliseconds(100);
  options.backoff.max = std::chrono::seconds(1);
  Collector collector;  // outlives the subscriber that calls it
  auto subscriber = std::move(*(*broker)->NewSubscriber());
  ASSERT_TRUE(subscriber->Subscribe(topic, subscription, collector.Handler(), {.parallelism = 8}));
  auto publisher = std::move(*(*broker)->NewPublisher());
  Reconciler r(*store, *publisher, options);
  r.Start();
  AppendRows(*store, 200);
  EXPECT_EQ(collector.WaitDistinct(200, std::chrono::seconds(30)), 200u);
  // A batch can be delivered before the reconciler commits it as published.
  for (int i = 0; i < 100 && Pending(*store) > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(Pending(*store), 0);

  if (stop.empty()) return;
  r.Stop();
  subscriber->Stop();
  ASSERT_EQ(std::system(stop.c_str()), 0);
  AppendRows(*store, 10);
  Reconciler down(*store, *publisher, options);
  (void)down.RunOnce();
  EXPECT_EQ(Pending(*store), 10);  // nothing lost, nothing marked published
  ASSERT_EQ(std::system(start.c_str()), 0);
  Collector after;
  auto subscriber2 = std::move(*(*broker)->NewSubscriber());
  ASSERT_TRUE(subscriber2->Subscribe(topic, subscription, after.Handler(), {.parallelism = 8}));
  down.Start();
  // The broker came back when `start` returned, but on a loaded machine its first connections can
  // still be refused for a while; the reconciler retries with its backoff (at most 1 s apart), so
  // the bound only has to outlast a slow broker, not pace the test (it ends on the first drain).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (Pending(*store) > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(Pending(*store), 0);
  down.Stop();
}

TEST(ReconcilerBroker, RabbitMq) {
  HF_REQUIRE_ENV(url, "HF_TEST_RABBITMQ_URL");
  broker::BrokerConfig config;
  config.type = "rabbitmq";
  config.rabbitmq_url = url;
  PublishesAllAndSurvivesAnOutage(config, hf::testing::EnvOrEmpty("HF_TEST_RABBITMQ_STOP"),
                                  hf::testing::EnvOrEmpty("HF_TEST_RABBITMQ_START"));
}

TEST(ReconcilerBroker, PubSubEmulator) {
  HF_REQUIRE_ENV(host, "HF_TEST_PUBSUB_EMULATOR_HOST");
  broker::BrokerConfig config;
  config.type = "googlepubsub";
  config.pubsub_project = "hf-test";
  config.pubsub_emulator_host = host;
  // The emulator keeps no state across restarts, so only the publish path is checked here.
  PublishesAllAndSurvivesAnOutage(config, "", "");
}

}  // namespace
}  // namespace hf::outbox
