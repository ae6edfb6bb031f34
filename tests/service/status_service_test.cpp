// The adapter-report rules of StatusService on SQLite in memory: validation, stale and redundant
// reports discarded, folding into the resource's conditions, status_changed events, and the end
// of a deletion once every required adapter has finalized.
#include "service/status_service.hpp"

#include <gtest/gtest.h>

#include "common/metrics.hpp"
#include "model/cloud_event.hpp"
#include "service_fixture.hpp"

namespace hf::service {
namespace {

using namespace std::chrono_literals;
using testing::Cond;
using testing::FaultyStoreTest;
using testing::MakeReport;
using testing::Must;
using testing::ServiceTest;
using testing::UnwatchedClusterTest;

using StatusServiceTest = ServiceTest;

Time Ago(std::chrono::seconds s) { return Now() - s; }

TEST(ValidateReport, ChecksTheReportsOwnFields) {
  const Time now = Now();
  struct Case {
    StatusReport report;
    std::string message;
  };
  auto with = [](auto change) {
    StatusReport r = MakeReport("dns", 1, "True");
    change(r);
    return r;
  };
  const std::vector<Case> cases = {
      {with([](auto& r) { r.adapter.clear(); }), "adapter is required"},
      {with([](auto& r) { r.adapter = "../../etc/passwd; rm -rf / #"; }),
       "adapter '../../etc/passwd; rm -rf / #' is not an adapter name: 1-63 lower-case letters, "
       "digits and '-', starting and ending with a letter or digit "
       "(^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$)"},
      {with([](auto& r) { r.adapter = "DNS"; }),
       "adapter 'DNS' is not an adapter name: 1-63 lower-case letters, digits and '-', starting "
       "and ending with a letter or digit (^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$)"},
      {with([](auto& r) { r.adapter = std::string(64, 'a'); }),
       "adapter name is longer than 63 characters: 1-63 lower-case letters, digits and '-', "
       "starting and ending with a letter or digit (^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$)"},
      {with([](auto& r) { r.observed_generation = 0; }), "observed_generation must be >= 1"},
      {with([](auto& r) { r.conditions[1].type.clear(); }),
       "condition type cannot be empty at index 1"},
      {with([](auto& r) { r.conditions.push_back(Cond("Applied", "True")); }),
       "duplicate condition type 'Applied' at index 3"},
      {with([](auto& r) { r.conditions[2].status = "true"; }),
       "invalid status value 'true' for condition at index 2 (type: Health): must be 'True', "
       "'False', or 'Unknown'"},
      {with([&](auto& r) { r.observed_time = now + 6min; }),
       "observed_time must not be more than 5m0s in the future"},
      {with([&](auto& r) { r.observed_time = now - 31min; }),
       "observed_time must not be more than 30m0s in the past"},
  };
  for (const auto& c : cases) {
    auto r = ValidateReport(c.report, now);
    ASSERT_FALSE(r) << c.message;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().message, c.message);
  }
  EXPECT_TRUE(ValidateReport(with([&](auto& r) { r.observed_time = now + 4min; }), now));
  EXPECT_TRUE(ValidateReport(with([](auto& r) { r.adapter = "pull-secret-2"; }), now));
  EXPECT_TRUE(ValidateReport(with([](auto& r) { r.adapter = std::string(63, 'a'); }), now));
  EXPECT_TRUE(ValidateReport(with([&](auto& r) { r.observed_time = now - 29min; }), now));
}

TEST_F(StatusServiceTest, MandatoryConditionsAreRequired) {
  auto c = CreateCluster("alpha");
  for (const char* missing : {"Available", "Applied", "Health"}) {
    StatusReport report = MakeReport("dns", 1, "True");
    std::erase_if(report.conditions, [&](const auto& cond) { return cond.type == missing; });
    auto r = statuses_.Report(Clusters(), c.id, report, caller_);
    ASSERT_FALSE(r) << missing;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().message, std::string("missing mandatory condition '") + missing +
                                     "': all adapters must report Available, Applied, and Health");
  }
  EXPECT_EQ(Must(statuses_.List(Clusters(), c.id, 1, 20)).total, 0);
}

TEST_F(StatusServiceTest, OnlyRequiredAndOptionalAdaptersMayReport) {
  auto c = CreateCluster("alpha");
  auto np = CreateNodePool(c.id, "pool");
  auto stranger = statuses_.Report(Clusters(), c.id, MakeReport("rogue", 1, "True"), caller_);
  ASSERT_FALSE(stranger);
  EXPECT_EQ(stranger.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(stranger.error().message,
            "adapter 'rogue' may not report on clusters: the adapters that may are "
            "[validation, dns] (required) and [audit] (optional)");
  // Another kind's adapter is a stranger here too.
  auto np_agent = statuses_.Report(Clusters(), c.id, MakeReport("np-agent", 1, "True"), caller_);
  ASSERT_FALSE(np_agent);
  EXPECT_EQ(np_agent.error().code, ErrorCode::kInvalidArgument);
  auto audit = statuses_.Report(NodePools(c.id), np.id, MakeReport("audit", 1, "True"), caller_);
  ASSERT_FALSE(audit);
  EXPECT_EQ(audit.error().message,
            "adapter 'audit' may not report on nodepools: the adapters that may are "
            "[np-agent] (required) and [] (optional)");
  EXPECT_EQ(Must(statuses_.List(Clusters(), c.id, 1, 20)).total, 0);

  // An optional adapter's report is stored but not waited for, and adds no condition.
  ASSERT_TRUE(Report(c, MakeReport("audit", 1, "False")));
  EXPECT_EQ(Must(statuses_.List(Clusters(), c.id, 1, 20)).total, 1);
  Report(c, MakeReport("validation", 1, "True"));
  Report(c, MakeReport("dns", 1, "True"));
  auto r = Find(c);
  EXPECT_EQ(r->FindCondition("Reconciled")->status, "True");
  EXPECT_EQ(r->FindCondition("AuditSuccessful"), nullptr);
  EXPECT_EQ(r->conditions.size(), 4u);
}

TEST_F(StatusServiceTest, ReportsForMissingOrMisscopedResourcesAreNotFound) {
  auto c = CreateCluster("alpha");
  auto np = CreateNodePool(c.id, "pool");
  auto missing = statuses_.Report(Clusters(), "01890000-0000-7000-8000-000000000000",
                                  MakeReport("dns", 1, "True"), caller_);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  auto pool_as_cluster = statuses_.Report(Clusters(), np.id, MakeReport("dns", 1, "True"), caller_);
  ASSERT_FALSE(pool_as_cluster);
  EXPECT_EQ(pool_as_cluster.error().code, ErrorCode::kNotFound);
}

TEST_F(StatusServiceTest, AcceptedReportsAreStoredAndFoldedIntoConditions) {
  auto c = CreateCluster("alpha");
  StatusReport report = MakeReport("validation", 1, "True");
  report.data = nlohmann::json{{"checks", 3}};
  report.metadata = nlohmann::json{{"job", "v-1"}};
  auto stored = Report(c, report);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->adapter, "validation");
  EXPECT_EQ(stored->resource_type, "Cluster");
  EXPECT_EQ(stored->resource_id, c.id);
  EXPECT_EQ(stored->observed_generation, 1);

  auto rows = Must(statuses_.List(Clusters(), c.id, 1, 20));
  ASSERT_EQ(rows.total, 1);
  EXPECT_EQ(rows.items[0].data, (nlohmann::json{{"checks", 3}}));
  EXPECT_EQ(rows.items[0].metadata, (nlohmann::json{{"job", "v-1"}}));

  // One of two required adapters: not reconciled yet, but its own condition shows.
  auto r = Find(c);
  EXPECT_EQ(r->FindCondition("Reconciled")->status, "False");
  ASSERT_NE(r->FindCondition("ValidationSuccessful"), nullptr);
  EXPECT_EQ(r->FindCondition("ValidationSuccessful")->status, "True");
  EXPECT_EQ(r->FindCondition("DnsSuccessful"), nullptr);

  Report(c, MakeReport("dns", 1, "True"));
  r = Find(c);
  EXPECT_EQ(r->FindCondition("Reconciled")->status, "True");
  EXPECT_EQ(r->FindCondition("LastKnownReconciled")->status, "True");
  EXPECT_EQ(r->FindCondition("DnsSuccessful")->status, "True");
  EXPECT_EQ(r->generation, 1);  // reports never bump the generation
}

// hyperfleet_api_reconciliation_duration_seconds{resource_type}: how many reconciliations it
// observed, and their summed seconds.
std::pair<uint64_t, double> ReconciliationDurations(const std::string& resource_type) {
  std::pair<uint64_t, double> out;
  metrics::Registry::Default()
      .AddHistogram("hyperfleet_api_reconciliation_duration_seconds", "", {"resource_type"}, {1})
      .ForEach([&](const std::vector<std::string>& labels, const metrics::Histogram& h) {
        if (labels == std::vector<std::string>{resource_type}) {
          out = {h.Read().count, h.Read().sum};
        }
      });
  return out;
}

// Each generation's way to Reconciled=True is observed once, from the create or spec change that
// started it to the report that completed it; redundant reports and deletions are not.
TEST_F(StatusServiceTest, TheTimeToReconcileIsObservedOncePerGeneration) {
  const auto before = ReconciliationDurations("clusters");
  auto c = CreateCluster("timed");
  Report(c, MakeReport("validation", 1, "True"));
  EXPECT_EQ(ReconciliationDurations("clusters").first, before.first) << "not reconciled yet";
  Report(c, MakeReport("dns", 1, "True"));
  auto after = ReconciliationDurations("clusters");
  ASSERT_EQ(after.first, before.first + 1);
  const double took = after.second - before.second;
  EXPECT_GE(took, 0.0);
  EXPECT_LT(took, 60.0) << "measured from the create, moments ago";

  Report(c, MakeReport("dns", 1, "True", "", Now() + 1s));  // still reconciled: not again
  EXPECT_EQ(ReconciliationDurations("clusters").first, before.first + 1);

  Must(resources_.Patch(Clusters(), c.id, {nlohmann::json{{"size", 2}}, std::nullopt}, caller_));
  Report(c, MakeReport("validation", 2, "True"));
  Report(c, MakeReport("dns", 2, "True"));
  EXPECT_EQ(ReconciliationDurations("clusters").first, before.first + 2) << "generation 2";

  Must(resources_.Delete(Clusters(), c.id, caller_));
  Report(c, MakeReport("validation", 3, "True", "False"));
  EXPECT_EQ(ReconciliationDurations("clusters").first, before.first + 2) << "a deletion";
}

TEST_F(StatusServiceTest, AReportAheadOfTheResourceIsDiscarded) {
  auto c = CreateCluster("alpha");
  EXPECT_FALSE(Report(c, MakeReport("dns", 2, "True")));
  EXPECT_EQ(Must(statuses_.List(Clusters(), c.id, 1, 20)).total, 0);
  EXPECT_EQ(Reasons(c.id), std::vector<std::string>{"created"});
}

TEST_F(StatusServiceTest, AReportForAnOlderGenerationIsDiscarded) {
  auto c = CreateCluster("alpha");
  Must(resources_.Patch(Clusters(), c.id, {nlohmann::json{{"x", 1}}, std::nullopt}, caller_));
  ASSERT_TRUE(Report(c, MakeReport("dns", 2, "True")));
  const auto conditions = Find(c)->conditions;
  const auto events = Events(c.id).size();

  // A late report about generation 1 must not overwrite what generation 2 said.
  EXPECT_FALSE(Report(c, MakeReport("dns", 1, "False")));
  auto rows = Must(statuses_.List(Clusters(), c.id, 1, 20));
  ASSERT_EQ(rows.total, 1);
  EXPECT_EQ(rows.items[0].observed_generation, 2);
  EXPECT_EQ(rows.items[0].Find("Available")->status, "True");
  EXPECT_EQ(Find(c)->conditions, conditions);
  EXPECT_EQ(Events(c.id).size(), events);
}

TEST_F(StatusServiceTest, AnOlderReportOfTheSameGenerationIsDiscarded) {
  auto c = CreateCluster("alpha");
  const Time accepted = Ago(60s);
  ASSERT_TRUE(Report(c, MakeReport("dns", 1, "True", "", accepted)));
  EXPECT_FALSE(Report(c, MakeReport("dns", 1, "False", "", Ago(120s))));
  auto row = Must(statuses_.List(Clusters(), c.id, 1, 20)).items.at(0);
  EXPECT_EQ(row.Find("Available")->status, "True");
  EXPECT_EQ(row.last_report_time, accepted);
  // A newer one of the same generation is taken.
  ASSERT_TRUE(Report(c, MakeReport("dns", 1, "False", "", Ago(30s))));
  row = Must(statuses_.List(Clusters(), c.id, 1, 20)).items.at(0);
  EXPECT_EQ(row.Find("Available")->status, "False");
}

TEST_F(StatusServiceTest, UnknownAvailabilityIsKeptOnlyAsAFirstReport) {
  auto c = CreateCluster("alpha");
  const auto before = Find(c)->conditions;
  auto first = Report(c, MakeReport("dns", 1, "Unknown"));
  ASSERT_TRUE(first);  // stored, but does not take part in the aggregation
  EXPECT_EQ(Find(c)->conditions, before);
  EXPECT_EQ(Reasons(c.id), std::vector<std::string>{"created"});

  ASSERT_TRUE(Report(c, MakeReport("dns", 1, "True")));
  EXPECT_FALSE(Report(c, MakeReport("dns", 1, "Unknown")));  // redundant once known
  auto row = Must(statuses_.List(Clusters(), c.id, 1, 20)).items.at(0);
  EXPECT_EQ(row.Find("Available")->status, "True");
}

TEST_F(StatusServiceTest, AChangeOfAvailabilityAppendsAStatusChangedEvent) {
  auto c = CreateCluster("alpha");
  // A first report of False is no change (absent counts as False).
  Report(c, MakeReport("dns", 1, "False"));
  EXPECT_EQ(Reasons(c.id), std::vector<std::string>{"created"});
  Report(c, MakeReport("dns", 1, "True"));
  Report(c, MakeReport("dns", 1, "True"));  // same status again: no event
  Report(c, MakeReport("validation", 1, "True"));
  Report(c, MakeReport("dns", 1, "False"));
  auto events = Events(c.id);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[1].reason, "status_changed");
  EXPECT_EQ(events[2].reason, "status_changed");  // validation False → True
  EXPECT_EQ(events[3].reason, "status_changed");
  EXPECT_EQ(events[3].aggregate_generation, 1);
  // Each names the adapter whose report caused it (adapters skip their own).
  for (size_t i = 1; i < events.size(); ++i) {
    auto ce = model::CloudEvent::Decode(events[i].payload);
    ASSERT_TRUE(ce);
    EXPECT_EQ(ce->data.value("adapter", ""), i == 2 ? "validation" : "dns") << i;
  }
  EXPECT_FALSE(model::CloudEvent::Decode(events[0].payload)->data.contains("adapter"));
}

TEST_F(StatusServiceTest, TransitionTimesMoveOnlyWhenAStatusChanges) {
  auto c = CreateCluster("alpha");
  Report(c, MakeReport("dns", 1, "True", "", Ago(90s)));
  auto first = Must(statuses_.List(Clusters(), c.id, 1, 20)).items.at(0);
  StatusReport next = MakeReport("dns", 1, "True", "", Ago(60s));
  next.conditions[2].status = "False";  // Health changes, Available does not
  Report(c, next);
  auto second = Must(statuses_.List(Clusters(), c.id, 1, 20)).items.at(0);
  EXPECT_EQ(second.Find("Available")->last_transition_time,
            first.Find("Available")->last_transition_time);
  EXPECT_GT(second.Find("Health")->last_transition_time,
            first.Find("Health")->last_transition_time);
  EXPECT_EQ(second.created_time, first.created_time);
  EXPECT_GT(second.last_report_time, first.last_report_time);
}

TEST_F(StatusServiceTest, MetadataIsKeptWhenALaterReportOmitsIt) {
  auto c = CreateCluster("alpha");
  StatusReport report = MakeReport("dns", 1, "True");
  report.metadata = nlohmann::json{{"job", "d-1"}};
  Report(c, report);
  Report(c, MakeReport("dns", 1, "False"));
  auto row = Must(statuses_.List(Clusters(), c.id, 1, 20)).items.at(0);
  EXPECT_EQ(row.metadata, (nlohmann::json{{"job", "d-1"}}));
  EXPECT_EQ(row.data, nlohmann::json::object());
}

TEST_F(StatusServiceTest, ListPagesTheAdapterRows) {
  auto c = CreateCluster("alpha");
  for (const char* adapter : {"dns", "validation", "audit"}) {
    Report(c, MakeReport(adapter, 1, "True"));
  }
  auto page = Must(statuses_.List(Clusters(), c.id, 2, 2));
  EXPECT_EQ(page.total, 3);
  EXPECT_EQ(page.items.size(), 1u);
}

TEST_F(StatusServiceTest, ADeletionEndsWhenEveryAdapterFinalizedAndChildrenAreGone) {
  auto c = CreateCluster("alpha");
  auto np = CreateNodePool(c.id, "pool");
  Must(resources_.Delete(Clusters(), c.id, caller_));  // both at generation 2 now

  Report(c, MakeReport("validation", 2, "False", "True"));
  EXPECT_TRUE(Find(c));  // dns has not finalized
  Report(c, MakeReport("dns", 2, "False", "True"));
  auto waiting = Find(c);
  ASSERT_TRUE(waiting);  // the nodepool still exists
  EXPECT_EQ(waiting->FindCondition("Reconciled")->reason, "ReconciledWaitingForChildren");

  Publish(Events());
  Report(np, MakeReport("np-agent", 2, "False", "True"));
  EXPECT_FALSE(Find(np));
  // The waiting cluster is told to look again.
  auto events = Events();
  ASSERT_FALSE(events.back().published_time);
  EXPECT_EQ(events.back().aggregate_id, c.id);
  EXPECT_EQ(events.back().reason, "status_changed");
  EXPECT_EQ(events.back().aggregate_generation, 2);

  // The next Finalized report of a cluster adapter ends the cluster.
  Report(c, MakeReport("dns", 2, "False", "True"));
  EXPECT_FALSE(Find(c));
  EXPECT_FALSE(statuses_.List(Clusters(), c.id, 1, 20));
}

// A deleting cluster waits for its nodepools; only the last one's removal changes that, so it is
// told once then, not once per nodepool (500 nodepools made 500 events, each re-reading the
// remaining children).
TEST_F(StatusServiceTest, ADeletingClusterIsToldOnceWhenItsLastChildGoes) {
  auto c = CreateCluster("alpha");
  auto first = CreateNodePool(c.id, "first");
  auto last = CreateNodePool(c.id, "last");
  Must(resources_.Delete(Clusters(), c.id, caller_));
  Publish(Events());
  auto told = [&] {
    int n = 0;
    for (const auto& e : Events()) n += e.aggregate_id == c.id && !e.published_time;
    return n;
  };
  Report(first, MakeReport("np-agent", 2, "False", "True"));
  EXPECT_FALSE(Find(first));
  EXPECT_EQ(told(), 0) << "a sibling is still there: nothing changed for the cluster";
  Report(last, MakeReport("np-agent", 2, "False", "True"));
  EXPECT_FALSE(Find(last));
  EXPECT_EQ(told(), 1);
}

TEST_F(StatusServiceTest, FinalizedForAnOlderGenerationDoesNotEndADeletion) {
  auto c = CreateCluster("alpha");
  Must(resources_.Delete(Clusters(), c.id, caller_));
  Report(c, MakeReport("validation", 2, "False", "True"));
  Report(c, MakeReport("dns", 1, "False", "True"));  // finalized what it saw before the delete
  EXPECT_TRUE(Find(c));
  Report(c, MakeReport("dns", 2, "False", "False"));
  EXPECT_TRUE(Find(c));
  Report(c, MakeReport("dns", 2, "False", "True"));
  EXPECT_FALSE(Find(c));
}

TEST_F(StatusServiceTest, FinalizedOnAnActiveResourceDeletesNothing) {
  auto c = CreateCluster("alpha");
  Report(c, MakeReport("validation", 1, "True", "True"));
  Report(c, MakeReport("dns", 1, "True", "True"));
  auto r = Find(c);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->FindCondition("Reconciled")->status, "True");
}

// The cluster had nobody to wait for but its nodepool: when that goes, so does the cluster.
TEST_F(UnwatchedClusterTest, AClusterWithoutAdaptersGoesWithItsLastNodePool) {
  auto c = CreateCluster("alpha");
  auto np = CreateNodePool(c.id, "pool");
  Must(resources_.Delete(Clusters(), c.id, caller_));
  ASSERT_TRUE(Find(c));  // waits for the nodepool
  Report(np, MakeReport("np-agent", 2, "False", "True"));
  EXPECT_FALSE(Find(np));
  EXPECT_FALSE(Find(c));
}

TEST_F(FaultyStoreTest, AReportRollsBackWhenItsEventCannotBeWritten) {
  auto c = CreateCluster("alpha");
  auto np = CreateNodePool(c.id, "pool");
  Must(resources_.Delete(Clusters(), c.id, caller_));
  FailOutbox(true);
  auto r = statuses_.Report(Clusters(), c.id, MakeReport("dns", 2, "True"), caller_);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  // The last child's removal notifies the deleting parent, so it fails as a whole too.
  auto last =
      statuses_.Report(NodePools(c.id), np.id, MakeReport("np-agent", 2, "False", "True"), caller_);
  ASSERT_FALSE(last);
  FailOutbox(false);
  EXPECT_EQ(Must(statuses_.List(Clusters(), c.id, 1, 20)).total, 0);
  EXPECT_TRUE(Find(np));
}

// The 60-junk-reports attack of #15: rows of adapters a report does not need (written before this
// kind's list was tightened, or by an optional adapter) are never read by it.
TEST_F(FaultyStoreTest, AReportReadsOnlyItsOwnAndTheRequiredAdaptersRows) {
  auto c = CreateCluster("alpha");
  {
    auto tx = Must(store_->Begin(store::TxMode::kWrite));
    for (int i = 0; i < 60; ++i) {
      Must(tx->UpsertAdapterStatus({"Cluster",
                                    c.id,
                                    "junk-" + std::to_string(i),
                                    1,
                                    {Cond("Available", "True")},
                                    nlohmann::json{{"x", i}},
                                    std::nullopt,
                                    Now(),
                                    Now()}));
    }
    Must(tx->Commit());
  }
  Report(c, MakeReport("dns", 1, "True"));
  EXPECT_EQ(faulty().status_rows_read, 0);  // neither dns nor validation had a row yet
  Report(c, MakeReport("validation", 1, "True"));
  EXPECT_EQ(faulty().status_rows_read, 1);  // dns's
  Report(c, MakeReport("audit", 1, "True"));
  EXPECT_EQ(faulty().status_rows_read, 3);  // dns's and validation's; audit had none
  Report(c, MakeReport("audit", 1, "True"));
  EXPECT_EQ(faulty().status_rows_read, 6);  // and now audit's own
  EXPECT_EQ(Find(c)->FindCondition("Reconciled")->status, "True");
  // A change of the spec re-aggregates from the required adapters' rows only.
  Must(resources_.Patch(Clusters(), c.id, {nlohmann::json{{"v", 2}}, std::nullopt}, caller_));
  EXPECT_EQ(faulty().status_rows_read, 8);
}

}  // namespace
}  // namespace hf::service
