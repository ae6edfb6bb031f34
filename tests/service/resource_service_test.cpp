// The resource lifecycle rules of ResourceService on SQLite in memory: create, patch, delete
// (with its cascade), force-delete, scoping, and the outbox row each change commits with.
#include "service/resource_service.hpp"

#include <gtest/gtest.h>

#include "model/cloud_event.hpp"
#include "service_fixture.hpp"

namespace hf::service {
namespace {

using testing::FaultyStoreTest;
using testing::MakeReport;
using testing::Must;
using testing::ServiceTest;
using testing::UnwatchedClusterTest;

using ResourceServiceTest = ServiceTest;

TEST_F(ResourceServiceTest, CreateStartsAtGenerationOneAndCommitsACreatedEvent) {
  auto c = CreateCluster("alpha", {{"region", "eu"}});
  EXPECT_EQ(c.kind, "Cluster");
  EXPECT_EQ(c.generation, 1);
  EXPECT_EQ(c.href, "/api/hyperfleet/v1/clusters/" + c.id);
  EXPECT_EQ(c.created_by, "alice@example.com");
  EXPECT_EQ(c.updated_by, "alice@example.com");
  EXPECT_FALSE(c.Deleting());
  // Required adapters have not reported yet.
  ASSERT_EQ(c.conditions.size(), 2u);
  EXPECT_EQ(c.conditions[0].type, "Reconciled");
  EXPECT_EQ(c.conditions[0].status, "False");
  EXPECT_EQ(c.conditions[1].type, "LastKnownReconciled");

  auto stored = Find(c);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->spec, (nlohmann::json{{"region", "eu"}}));
  EXPECT_EQ(stored->generation, 1);

  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].reason, "created");
  EXPECT_EQ(events[0].aggregate_type, "Cluster");
  EXPECT_EQ(events[0].aggregate_id, c.id);
  EXPECT_EQ(events[0].aggregate_generation, 1);
  EXPECT_EQ(events[0].event_type, "com.redhat.hyperfleet.cluster.changed.v1");
  EXPECT_FALSE(events[0].published_time);
  auto ce = Must(model::CloudEvent::Decode(events[0].payload));
  EXPECT_EQ(ce.id, events[0].event_id);
  EXPECT_EQ(ce.subject, c.id);
  EXPECT_EQ(ce.traceparent, caller_.traceparent);
  EXPECT_EQ(ce.data["reason"], "created");
  EXPECT_EQ(ce.data["generation"], 1);
  EXPECT_EQ(ce.data["href"], c.href);
}

TEST_F(ResourceServiceTest, CreateRejectsInvalidNamesAndLabelsWithoutWriting) {
  struct Case {
    std::string name;
    std::map<std::string, std::string> labels;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", {}, "name is required"},
      {"ab", {}, "name must be at least 3 characters"},
      {std::string(54, 'a'), {}, "name must be at most 53 characters"},
      {"Bad_Name", {}, "name must start and end with lowercase letter or number"},
      {"-abc", {}, "name must start and end with lowercase letter or number"},
      {"good", {{"bad key!", "v"}}, "label validation failed"},
      {"good", {{"team", "not ok!"}}, "label validation failed"},
  };
  for (const auto& c : cases) {
    auto r = resources_.Create(Clusters(), {c.name, {}, c.labels}, caller_);
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << c.name;
    EXPECT_TRUE(r.error().message.starts_with(c.message)) << r.error().message;
  }
  EXPECT_EQ(Must(resources_.List(Clusters(), {})).total, 0);
  EXPECT_TRUE(Events().empty());
}

TEST_F(ResourceServiceTest, LabelViolationsAreReportedTogether) {
  auto r = resources_.Create(
      Clusters(), {"good", {}, {{"bad key!", "v"}, {"team", "not ok!"}, {"env", "prod"}}}, caller_);
  ASSERT_FALSE(r);
  ASSERT_EQ(r.error().violations.size(), 2u);
  EXPECT_EQ(r.error().violations[0].field, "labels");
  EXPECT_EQ(r.error().violations[0].value, "bad key!");
  EXPECT_EQ(r.error().violations[1].field, "labels[team]");
  EXPECT_EQ(r.error().violations[1].value, "not ok!");
}

TEST_F(ResourceServiceTest, NodePoolNamesHaveTheirOwnBounds) {
  auto c = CreateCluster("alpha");
  auto r = resources_.Create(NodePools(c.id), {std::string(16, 'n'), {}, {}}, caller_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "name must be at most 15 characters");
  EXPECT_TRUE(resources_.Create(NodePools(c.id), {std::string(15, 'n'), {}, {}}, caller_));
}

TEST_F(ResourceServiceTest, DuplicateActiveNameIsAlreadyExistsAndWritesNoEvent) {
  CreateCluster("alpha");
  auto again = resources_.Create(Clusters(), {"alpha", {}, {}}, caller_);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(again.error().message, "This Cluster already exists");
  EXPECT_EQ(Reasons(), std::vector<std::string>{"created"});
  // The same name under another kind or parent is fine.
  auto c2 = CreateCluster("beta");
  auto c3 = CreateCluster("gamma");
  CreateNodePool(c2.id, "alpha");
  CreateNodePool(c3.id, "alpha");
  auto dup = resources_.Create(NodePools(c2.id), {"alpha", {}, {}}, caller_);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().message, "This NodePool already exists");
}

TEST_F(ResourceServiceTest, NodePoolIsCreatedUnderItsClusterOnly) {
  auto flat =
      resources_.Create({kinds_.ByKind("NodePool"), std::nullopt}, {"pool", {}, {}}, caller_);
  ASSERT_FALSE(flat);
  EXPECT_EQ(flat.error().code, ErrorCode::kUnprocessable);
  EXPECT_NE(flat.error().message.find("/clusters/{id}/nodepools"), std::string::npos);

  for (const std::string parent : {"not-a-uuid", "01890000-0000-7000-8000-000000000000"}) {
    auto r = resources_.Create(NodePools(parent), {"pool", {}, {}}, caller_);
    ASSERT_FALSE(r) << parent;
    EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
    EXPECT_EQ(r.error().message, "Cluster with id='" + parent + "' not found");
  }

  auto c = CreateCluster("alpha");
  auto np = CreateNodePool(c.id, "pool");
  // A nodepool id is not a cluster.
  auto nested = resources_.Create(NodePools(np.id), {"inner", {}, {}}, caller_);
  ASSERT_FALSE(nested);
  EXPECT_EQ(nested.error().code, ErrorCode::kNotFound);

  ASSERT_TRUE(np.owner);
  EXPECT_EQ(np.owner->id, c.id);
  EXPECT_EQ(np.owner->kind, "Cluster");
  EXPECT_EQ(np.href, c.href + "/nodepools/" + np.id);
  auto events = Events(np.id);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].event_type, "com.redhat.hyperfleet.nodepool.changed.v1");
  auto ce = Must(model::CloudEvent::Decode(events[0].payload));
  EXPECT_EQ(ce.data["owner_references"]["id"], c.id);
  EXPECT_EQ(ce.data["owner_references"]["kind"], "Cluster");
}

TEST_F(ResourceServiceTest, ResourcesAreFoundOnlyInTheirScope) {
  auto c1 = CreateCluster("one");
  auto c2 = CreateCluster("two");
  auto np = CreateNodePool(c1.id, "pool");
  EXPECT_TRUE(Get(NodePools(c1.id), np.id));
  auto wrong_parent = Get(NodePools(c2.id), np.id);
  ASSERT_FALSE(wrong_parent);
  EXPECT_EQ(wrong_parent.error().message, "NodePool with id='" + np.id + "' not found");
  auto as_cluster = Get(Clusters(), np.id);
  ASSERT_FALSE(as_cluster);
  EXPECT_EQ(as_cluster.error().code, ErrorCode::kNotFound);
  auto cluster_as_pool = Get(NodePools(c1.id), c2.id);
  ASSERT_FALSE(cluster_as_pool);
  EXPECT_EQ(cluster_as_pool.error().code, ErrorCode::kNotFound);
  auto junk = Get(Clusters(), "../etc");
  ASSERT_FALSE(junk);
  EXPECT_EQ(junk.error().message, "Cluster with id='../etc' not found");
}

TEST_F(ResourceServiceTest, ListPagesAndScopesToTheParent) {
  auto c = CreateCluster("one");
  CreateCluster("two");
  CreateCluster("three");
  auto page = Must(resources_.List(Clusters(), {"", {}, 2, 2}));
  EXPECT_EQ(page.total, 3);
  EXPECT_EQ(page.page, 2);
  EXPECT_EQ(page.items.size(), 1u);
  auto first = Must(resources_.List(Clusters(), {"", {}, 1, 2}));
  EXPECT_EQ(first.items.size(), 2u);

  CreateNodePool(c.id, "pool");
  auto pools = Must(resources_.List(NodePools(c.id), {}));
  ASSERT_EQ(pools.total, 1);
  EXPECT_EQ(pools.items[0].name, "pool");
  auto missing = resources_.List(NodePools("01890000-0000-7000-8000-000000000000"), {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(ResourceServiceTest, PatchBumpsGenerationOnlyForRealChanges) {
  auto c =
      Must(resources_.Create(Clusters(), {"alpha", {{"replicas", 1}}, {{"team", "red"}}}, caller_));

  // Same spec, same labels, or both: nothing changes and nothing is announced.
  for (const PatchInput& same :
       {PatchInput{nlohmann::json{{"replicas", 1}}, std::nullopt},
        PatchInput{std::nullopt, std::map<std::string, std::string>{{"team", "red"}}},
        PatchInput{nlohmann::json{{"replicas", 1}},
                   std::map<std::string, std::string>{{"team", "red"}}},
        PatchInput{}}) {
    auto r = Must(resources_.Patch(Clusters(), c.id, same, caller_));
    EXPECT_EQ(r.generation, 1);
  }
  EXPECT_EQ(Find(c)->generation, 1);
  EXPECT_EQ(Reasons(), std::vector<std::string>{"created"});

  const Caller bob{"bob@example.com", "", ""};
  auto spec = Must(
      resources_.Patch(Clusters(), c.id, {nlohmann::json{{"replicas", 2}}, std::nullopt}, bob));
  EXPECT_EQ(spec.generation, 2);
  EXPECT_EQ(spec.updated_by, "bob@example.com");
  EXPECT_EQ(spec.created_by, "alice@example.com");
  EXPECT_EQ(spec.labels.at("team"), "red");  // labels absent from the patch are kept

  auto labels = Must(resources_.Patch(
      Clusters(), c.id, {std::nullopt, std::map<std::string, std::string>{}}, caller_));
  EXPECT_EQ(labels.generation, 3);
  EXPECT_TRUE(labels.labels.empty());
  EXPECT_EQ(labels.spec, (nlohmann::json{{"replicas", 2}}));

  auto stored = Find(c);
  EXPECT_EQ(stored->generation, 3);
  EXPECT_TRUE(stored->labels.empty());
  auto events = Events(c.id);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].reason, "updated");
  EXPECT_EQ(events[1].aggregate_generation, 2);
  EXPECT_EQ(events[2].reason, "updated");
  EXPECT_EQ(events[2].aggregate_generation, 3);
}

TEST_F(ResourceServiceTest, PatchReplacesTheSpecWholeRatherThanMerging) {
  auto c = CreateCluster("alpha", {{"a", 1}, {"b", 2}});
  auto r =
      Must(resources_.Patch(Clusters(), c.id, {nlohmann::json{{"a", 1}}, std::nullopt}, caller_));
  EXPECT_EQ(r.generation, 2);
  EXPECT_EQ(Find(c)->spec, (nlohmann::json{{"a", 1}}));
}

TEST_F(ResourceServiceTest, PatchRejectsBadLabelsAndDeletingResources) {
  auto c = CreateCluster("alpha");
  auto bad = resources_.Patch(
      Clusters(), c.id, {std::nullopt, std::map<std::string, std::string>{{"", "x"}}}, caller_);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);

  auto np = CreateNodePool(c.id, "pool");
  Must(resources_.Delete(Clusters(), c.id, caller_));
  const PatchInput change{nlohmann::json{{"x", 1}}, std::nullopt};
  auto cluster = resources_.Patch(Clusters(), c.id, change, caller_);
  ASSERT_FALSE(cluster);
  EXPECT_EQ(cluster.error().code, ErrorCode::kConflict);
  EXPECT_EQ(cluster.error().message, "Cluster '" + c.id + "' is marked for deletion");
  auto pool = resources_.Patch(NodePools(c.id), np.id, change, caller_);
  ASSERT_FALSE(pool);
  EXPECT_EQ(pool.error().code, ErrorCode::kConflict);
  EXPECT_EQ(Find(c)->generation, 2);
  EXPECT_EQ(Find(np)->generation, 2);
}

TEST_F(ResourceServiceTest, PatchRecomputesConditionsForTheNewGeneration) {
  auto c = CreateCluster("alpha");
  Report(c, MakeReport("validation", 1, "True"));
  Report(c, MakeReport("dns", 1, "True"));
  ASSERT_EQ(Find(c)->FindCondition("Reconciled")->status, "True");

  auto r =
      Must(resources_.Patch(Clusters(), c.id, {nlohmann::json{{"x", 1}}, std::nullopt}, caller_));
  const auto* reconciled = r.FindCondition("Reconciled");
  ASSERT_NE(reconciled, nullptr);
  EXPECT_EQ(reconciled->status, "False");
  EXPECT_EQ(reconciled->observed_generation, 2);
  // The last known good generation stays visible.
  EXPECT_EQ(r.FindCondition("LastKnownReconciled")->status, "True");
  EXPECT_EQ(Find(c)->conditions, r.conditions);
}

TEST_F(ResourceServiceTest, CreatingUnderADeletingClusterIsAConflict) {
  auto c = CreateCluster("alpha");
  Must(resources_.Delete(Clusters(), c.id, caller_));
  auto r = resources_.Create(NodePools(c.id), {"pool", {}, {}}, caller_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
}

TEST_F(ResourceServiceTest, DeleteMarksTheClusterAndCascadesToItsNodePools) {
  auto c = CreateCluster("alpha");
  auto np1 = CreateNodePool(c.id, "pool-a");
  auto np2 = CreateNodePool(c.id, "pool-b");
  Publish(Events());
  const Caller bob{"bob@example.com", "", ""};

  auto deleted = Must(resources_.Delete(Clusters(), c.id, bob));
  EXPECT_TRUE(deleted.Deleting());
  EXPECT_EQ(deleted.deleted_by, "bob@example.com");
  EXPECT_EQ(deleted.generation, 2);
  // Children still exist, so the cluster cannot be reconciled-for-deletion yet.
  EXPECT_EQ(deleted.FindCondition("Reconciled")->status, "False");

  for (const auto& r : {c, np1, np2}) {
    auto stored = Find(r);
    ASSERT_TRUE(stored) << r.name;
    EXPECT_TRUE(stored->Deleting()) << r.name;
    EXPECT_EQ(stored->deleted_by, "bob@example.com");
    EXPECT_EQ(stored->generation, 2) << r.name;
  }
  // One `deleted` event per resource, children first, at the new generation.
  auto events = Events();
  std::vector<model::OutboxEvent> pending;
  for (const auto& e : events) {
    if (!e.published_time) pending.push_back(e);
  }
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_EQ(pending[0].aggregate_id, np1.id);
  EXPECT_EQ(pending[1].aggregate_id, np2.id);
  EXPECT_EQ(pending[2].aggregate_id, c.id);
  for (const auto& e : pending) {
    EXPECT_EQ(e.reason, "deleted");
    EXPECT_EQ(e.aggregate_generation, 2);
  }
}

TEST_F(ResourceServiceTest, DeleteIsIdempotent) {
  auto c = CreateCluster("alpha");
  auto first = Must(resources_.Delete(Clusters(), c.id, caller_));
  auto again = Must(resources_.Delete(Clusters(), c.id, {"bob@example.com", "", ""}));
  EXPECT_EQ(again.generation, 2);
  EXPECT_EQ(again.deleted_time, first.deleted_time);
  EXPECT_EQ(again.deleted_by, "alice@example.com");
  EXPECT_EQ(Reasons(c.id), (std::vector<std::string>{"created", "deleted"}));
}

TEST_F(ResourceServiceTest, DeletingOneNodePoolLeavesItsSiblingsAndClusterAlone) {
  auto c = CreateCluster("alpha");
  auto np1 = CreateNodePool(c.id, "pool-a");
  auto np2 = CreateNodePool(c.id, "pool-b");
  Must(resources_.Delete(NodePools(c.id), np1.id, caller_));
  EXPECT_TRUE(Find(np1)->Deleting());
  EXPECT_FALSE(Find(np2)->Deleting());
  EXPECT_FALSE(Find(c)->Deleting());
  EXPECT_EQ(Find(c)->generation, 1);
  // A deleting name is free again for a new active nodepool.
  EXPECT_TRUE(resources_.Create(NodePools(c.id), {"pool-a", {}, {}}, caller_));
}

TEST_F(ResourceServiceTest, ForceDeleteRemovesAFinalizingTreeAndTellsAdapters) {
  auto c = CreateCluster("alpha");
  auto np = CreateNodePool(c.id, "pool");
  auto early = resources_.ForceDelete(Clusters(), c.id, "stuck", caller_);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, ErrorCode::kConflict);
  EXPECT_EQ(early.error().message, "Cluster '" + c.id + "' is not in Finalizing state");

  Must(resources_.Delete(Clusters(), c.id, caller_));
  Report(c, MakeReport("validation", 2, "False", "True"));
  Must(resources_.ForceDelete(Clusters(), c.id, "stuck", caller_));
  EXPECT_FALSE(Find(c));
  EXPECT_FALSE(Get(NodePools(c.id), np.id));
  EXPECT_EQ(Reasons(np.id), (std::vector<std::string>{"created", "deleted", "force_deleted"}));
  EXPECT_EQ(Reasons(c.id), (std::vector<std::string>{"created", "deleted", "force_deleted"}));
  // The adapter rows went with the resource.
  auto statuses = statuses_.List(Clusters(), c.id, 1, 20);
  ASSERT_FALSE(statuses);
  EXPECT_EQ(statuses.error().code, ErrorCode::kNotFound);
}

TEST_F(ResourceServiceTest, ForceDeletingANodePoolTellsItsDeletingCluster) {
  auto c = CreateCluster("alpha");
  auto np = CreateNodePool(c.id, "pool");
  Must(resources_.Delete(Clusters(), c.id, caller_));
  Publish(Events());
  Must(resources_.ForceDelete(NodePools(c.id), np.id, "adapter gone", caller_));
  EXPECT_FALSE(Find(np));
  auto events = Events();
  ASSERT_EQ(events.size(), 6u);  // 2 created, 2 deleted, then these two
  EXPECT_EQ(events[4].aggregate_id, np.id);
  EXPECT_EQ(events[4].reason, "force_deleted");
  EXPECT_EQ(events[5].aggregate_id, c.id);
  EXPECT_EQ(events[5].reason, "status_changed");
  EXPECT_TRUE(Find(c));  // its own adapters still have to finalize it
}

// A kind without required adapters has no one to wait for.
class NoAdaptersTest : public ServiceTest {
 protected:
  NoAdaptersTest() : ServiceTest({}, {}) {}
};

TEST_F(NoAdaptersTest, CreateHasNoConditionsAndDeleteRemovesAtOnce) {
  auto c = CreateCluster("alpha");
  auto np = CreateNodePool(c.id, "pool");
  EXPECT_TRUE(c.conditions.empty());
  auto deleted = Must(resources_.Delete(Clusters(), c.id, caller_));
  EXPECT_TRUE(deleted.Deleting());
  EXPECT_FALSE(Find(c));
  EXPECT_FALSE(Get(NodePools(c.id), np.id));
  EXPECT_EQ(Reasons(), (std::vector<std::string>{"created", "created"}));
  // The name is free again.
  EXPECT_TRUE(resources_.Create(Clusters(), {"alpha", {}, {}}, caller_));
}

TEST_F(UnwatchedClusterTest, ADeletingClusterWaitsForItsNodePoolsThenGoesWithTheLast) {
  auto c = CreateCluster("alpha");
  auto np1 = CreateNodePool(c.id, "pool-a");
  auto np2 = CreateNodePool(c.id, "pool-b");
  Must(resources_.Delete(Clusters(), c.id, caller_));
  ASSERT_TRUE(Find(c));
  EXPECT_EQ(Reasons(c.id), (std::vector<std::string>{"created", "deleted"}));
  Must(resources_.ForceDelete(NodePools(c.id), np1.id, "gone", caller_));
  EXPECT_TRUE(Find(c));  // pool-b is still there
  Must(resources_.ForceDelete(NodePools(c.id), np2.id, "gone", caller_));
  EXPECT_FALSE(Find(c));
}

TEST_F(FaultyStoreTest, ChangesRollBackWhenTheirEventCannotBeWritten) {
  auto c = CreateCluster("alpha");
  auto np = CreateNodePool(c.id, "pool");
  FailOutbox(true);

  auto created = resources_.Create(Clusters(), {"beta", {}, {}}, caller_);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, ErrorCode::kUnavailable);
  auto patched =
      resources_.Patch(Clusters(), c.id, {nlohmann::json{{"x", 1}}, std::nullopt}, caller_);
  ASSERT_FALSE(patched);
  auto deleted = resources_.Delete(Clusters(), c.id, caller_);
  ASSERT_FALSE(deleted);

  FailOutbox(false);
  EXPECT_EQ(Must(resources_.List(Clusters(), {})).total, 1);
  auto stored = Find(c);
  EXPECT_EQ(stored->generation, 1);
  EXPECT_TRUE(stored->spec.empty());
  EXPECT_FALSE(stored->Deleting());
  EXPECT_FALSE(Find(np)->Deleting());  // the cascade rolled back too
  EXPECT_EQ(Reasons(), (std::vector<std::string>{"created", "created"}));
  // The name of the failed create was never taken.
  EXPECT_TRUE(resources_.Create(Clusters(), {"beta", {}, {}}, caller_));
}

}  // namespace
}  // namespace hf::service
