// The event-request rules of EventService on SQLite in memory: which aggregates may be asked
// about, and that a request while an event of the current generation is still unpublished returns
// that event instead of writing another.
#include "service/event_service.hpp"

#include <gtest/gtest.h>

#include "model/cloud_event.hpp"
#include "service_fixture.hpp"

namespace hf::service {
namespace {

using testing::Must;
using testing::ServiceTest;

class EventServiceTest : public ServiceTest {
 protected:
  EventService events_{*store_, kinds_};
};

TEST_F(EventServiceTest, OnlyKnownKindsAndExistingAggregatesCanBeAskedAbout) {
  auto c = CreateCluster("alpha");
  auto kind = events_.Request("Machine", c.id, "requested", caller_);
  ASSERT_FALSE(kind);
  EXPECT_EQ(kind.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(kind.error().message,
            "aggregate_type must be one of 'Cluster' or 'NodePool', got 'Machine'");

  for (const std::string id : {"not-a-uuid", "01890000-0000-7000-8000-000000000000"}) {
    auto r = events_.Request("Cluster", id, "requested", caller_);
    ASSERT_FALSE(r) << id;
    EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
    EXPECT_EQ(r.error().message, "Cluster with id='" + id + "' not found");
  }
  auto wrong_kind = events_.Request("NodePool", c.id, "requested", caller_);
  ASSERT_FALSE(wrong_kind);
  EXPECT_EQ(wrong_kind.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(Reasons(), std::vector<std::string>{"created"});
}

TEST_F(EventServiceTest, AnUnpublishedEventOfTheCurrentGenerationIsReturnedNotRepeated) {
  auto c = CreateCluster("alpha");
  const auto created = Events(c.id).at(0);
  auto r = Must(events_.Request("Cluster", c.id, "requested", caller_));
  EXPECT_TRUE(r.pending);
  EXPECT_EQ(r.event_id, created.event_id);
  EXPECT_EQ(Events(c.id).size(), 1u);
}

TEST_F(EventServiceTest, OnceAllIsPublishedARequestAppendsOneEvent) {
  auto c = CreateCluster("alpha");
  Publish(Events());
  const Caller ticker{"ticker@hyperfleet.local",
                      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", ""};
  auto first = Must(events_.Request("Cluster", c.id, "requested", ticker));
  EXPECT_FALSE(first.pending);
  auto events = Events(c.id);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].event_id, first.event_id);
  EXPECT_EQ(events[1].reason, "requested");
  EXPECT_EQ(events[1].aggregate_generation, 1);
  EXPECT_FALSE(events[1].published_time);
  EXPECT_EQ(Must(model::CloudEvent::Decode(events[1].payload)).traceparent, ticker.traceparent);

  // Asked again before the outbox published it: the same event.
  auto second = Must(events_.Request("Cluster", c.id, "requested", ticker));
  EXPECT_TRUE(second.pending);
  EXPECT_EQ(second.event_id, first.event_id);
  EXPECT_EQ(Events(c.id).size(), 2u);
}

TEST_F(EventServiceTest, PendingIsJudgedPerGeneration) {
  auto c = CreateCluster("alpha");
  Must(resources_.Patch(Clusters(), c.id, {nlohmann::json{{"x", 1}}, std::nullopt}, caller_));
  auto events = Events(c.id);
  ASSERT_EQ(events.size(), 2u);

  // The generation-2 `updated` event is pending: that is the answer.
  auto r = Must(events_.Request("Cluster", c.id, "requested", caller_));
  EXPECT_TRUE(r.pending);
  EXPECT_EQ(r.event_id, events[1].event_id);

  // Only the generation-1 `created` event is still unpublished: it does not count.
  Publish({events[1]});
  auto fresh = Must(events_.Request("Cluster", c.id, "requested", caller_));
  EXPECT_FALSE(fresh.pending);
  EXPECT_NE(fresh.event_id, events[0].event_id);
  auto after = Events(c.id);
  ASSERT_EQ(after.size(), 3u);
  EXPECT_EQ(after[2].aggregate_generation, 2);
}

TEST_F(EventServiceTest, NodePoolsAndDeletingResourcesCanBeAskedAbout) {
  auto c = CreateCluster("alpha");
  auto np = CreateNodePool(c.id, "pool");
  Must(resources_.Delete(Clusters(), c.id, caller_));
  Publish(Events());
  auto r = Must(events_.Request("NodePool", np.id, "requested", caller_));
  EXPECT_FALSE(r.pending);
  auto last = Events(np.id).back();
  EXPECT_EQ(last.event_id, r.event_id);
  EXPECT_EQ(last.aggregate_type, "NodePool");
  EXPECT_EQ(last.aggregate_generation, 2);
}

TEST_F(EventServiceTest, ListFiltersByAggregateAndPublication) {
  auto a = CreateCluster("alpha");
  auto b = CreateCluster("beta");
  Publish(Events(a.id));
  store::OutboxQuery q;
  q.aggregate_id = b.id;
  auto of_b = Must(events_.List(q));
  ASSERT_EQ(of_b.total, 1);
  EXPECT_EQ(of_b.items[0].aggregate_id, b.id);

  store::OutboxQuery published;
  published.published = true;
  auto done = Must(events_.List(published));
  ASSERT_EQ(done.total, 1);
  EXPECT_EQ(done.items[0].aggregate_id, a.id);

  store::OutboxQuery paged;
  paged.limit = 1;
  paged.offset = 1;
  auto page = Must(events_.List(paged));
  EXPECT_EQ(page.total, 2);
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].aggregate_id, b.id);
}

}  // namespace
}  // namespace hf::service
