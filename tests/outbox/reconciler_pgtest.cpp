// The outbox reconciler on a real PostgreSQL: replicas share the work without duplicates.
#include <gtest/gtest.h>

#include <thread>

#include "outbox/outbox_fixture.hpp"
#include "outbox/reconciler.hpp"
#include "testing/env.hpp"
#include "testing/pg_database.hpp"

namespace hf::outbox {
namespace {

using testing::AppendRows;
using testing::Collector;
using testing::Pending;

TEST(ReconcilerPg, TwoReplicasPublishEveryRowOnceBetweenThem) {
  HF_REQUIRE_ENV(dsn, "HF_TEST_PG_DSN");
  hf::testing::PgDatabase db(dsn);
  ASSERT_TRUE(db.error().empty()) << db.error();
  auto a = store::OpenStore(db.url());
  auto b = store::OpenStore(db.url());
  ASSERT_TRUE(a) << a.error().ToString();
  ASSERT_TRUE(b) << b.error().ToString();
  ASSERT_TRUE((*a)->Migrate());
  broker::BrokerConfig config;
  config.memory_name = "pg-replicas-" + NewUuidV7();
  auto broker = *broker::OpenBroker(config);
  Collector collector;  // outlives the subscriber that calls it
  auto subscriber = std::move(*broker->NewSubscriber());
  ASSERT_TRUE(subscriber->Subscribe("hyperfleet.clusters.changed.v1", "subscription-s",
                                    collector.Handler(), {.parallelism = 4}));
  auto pub_a = std::move(*broker->NewPublisher());
  auto pub_b = std::move(*broker->NewPublisher());
  ReconcilerOptions options;
  options.batch_size = 25;
  options.poll_interval = std::chrono::milliseconds(50);
  Reconciler ra(**a, *pub_a, options), rb(**b, *pub_b, options);
  ra.Start();
  rb.Start();
  // Rows arrive in bursts while both replicas run.
  for (int i = 0; i < 10; ++i) AppendRows(**a, 60);
  EXPECT_EQ(collector.WaitDistinct(600, std::chrono::seconds(30)), 600u);
  ra.Stop();
  rb.Stop();
  EXPECT_EQ(collector.duplicates(), 0u);
  EXPECT_EQ(Pending(**a), 0);
}

TEST(ReconcilerPg, CommitWakesTheReconcilerThroughNotify) {
  HF_REQUIRE_ENV(dsn, "HF_TEST_PG_DSN");
  hf::testing::PgDatabase db(dsn);
  ASSERT_TRUE(db.error().empty()) << db.error();
  auto writer = store::OpenStore(db.url());
  auto reader = store::OpenStore(db.url());  // another "process": only NOTIFY can wake it
  ASSERT_TRUE(writer) << writer.error().ToString();
  ASSERT_TRUE(reader) << reader.error().ToString();
  ASSERT_TRUE((*writer)->Migrate());
  broker::BrokerConfig config;
  config.memory_name = "pg-notify-" + NewUuidV7();
  auto broker = *broker::OpenBroker(config);
  Collector collector;  // outlives the subscriber that calls it
  auto subscriber = std::move(*broker->NewSubscriber());
  ASSERT_TRUE(subscriber->Subscribe("hyperfleet.clusters.changed.v1", "subscription-s",
                                    collector.Handler(), {}));
  auto publisher = std::move(*broker->NewPublisher());
  ReconcilerOptions options;
  options.poll_interval = std::chrono::seconds(60);
  Reconciler r(**reader, *publisher, options);
  r.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  AppendRows(**writer, 1);
  EXPECT_EQ(collector.WaitDistinct(1, std::chrono::seconds(20)), 1u);
  r.Stop();
}

}  // namespace
}  // namespace hf::outbox
