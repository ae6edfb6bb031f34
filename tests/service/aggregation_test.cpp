#include "service/aggregation.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "model/adapter_condition_type.hpp"

namespace hf::service {
namespace {

using model::AdapterStatus;
using model::Condition;

// Seconds after a fixed instant: tests never read the wall clock either.
Time At(int seconds) {
  using namespace std::chrono;
  return time_point_cast<microseconds>(sys_days{year{2026} / 1 / 1}) +
         std::chrono::seconds(seconds);
}

// A previous condition with just a type and status "True".
Condition Named(std::string type) {
  Condition c;
  c.type = std::move(type);
  c.status = "True";
  return c;
}

constexpr const char* kMissingMsg = "Required adapters have not yet reported status";
constexpr const char* kAllReconciledMsg =
    "All required adapters report Available=True for the tracked generation";
constexpr const char* kNotAvailableMsg = "One or more required adapters report Available=False";
constexpr const char* kMixedMsg = "Required adapters do not report a consistent Available state";
constexpr const char* kReconciledAllMsg =
    "All required adapters reported Available=True or Finalized=True at the current generation";
constexpr const char* kWaitingMsg =
    "Deletion in progress. All required adapters reported Finalized=True but child resources "
    "still exist";

// A resource at generation 1 created at At(0), with required adapters "validation" and "dns".
// Step() aggregates and writes the result back as the resource's conditions, like the service.
class AggregationTest : public ::testing::Test {
 protected:
  AggregationTest() {
    res_.generation = 1;
    res_.updated_time = At(0);
  }

  // Stores (or replaces) the adapter's row. An empty finalized omits the Finalized condition.
  void Put(const std::string& adapter, int64_t generation, const std::string& available, Time at,
           const std::string& finalized = "", const std::string& reason = "Reason",
           const std::string& message = "message") {
    AdapterStatus row;
    row.resource_type = "Cluster";
    row.adapter = adapter;
    row.observed_generation = generation;
    row.conditions = {{"Available", available, reason, message, at},
                      {"Applied", "True", "", "", at},
                      {"Health", "True", "", "", at}};
    if (!finalized.empty()) row.conditions.push_back({"Finalized", finalized, "", "", at});
    row.created_time = at;
    row.last_report_time = at;
    std::erase_if(statuses_, [&](const AdapterStatus& s) { return s.adapter == adapter; });
    statuses_.push_back(row);
  }

  // A PATCH that changed the spec: generation + 1 and a new RefTime.
  void Bump(Time at) {
    ++res_.generation;
    res_.updated_time = at;
  }

  // A soft delete: deleted_time set, generation + 1, new RefTime.
  void Delete(Time at) {
    res_.deleted_time = at;
    Bump(at);
  }

  std::vector<Condition> Run() const {
    return Aggregate({res_, required_, statuses_, has_active_children_});
  }

  const std::vector<Condition>& Step() {
    res_.conditions = Run();
    return res_.conditions;
  }

  const Condition& Get(std::string_view type) const {
    const Condition* c = res_.FindCondition(type);
    EXPECT_NE(c, nullptr) << type;
    static const Condition kNone;
    return c != nullptr ? *c : kNone;
  }
  const Condition& Reconciled() const { return Get("Reconciled"); }
  const Condition& Lkr() const { return Get("LastKnownReconciled"); }

  std::vector<std::string> Types() const {
    std::vector<std::string> out;
    for (const auto& c : res_.conditions) out.push_back(c.type);
    return out;
  }

  // Both adapters True at the current generation, reported at At(10) and At(11).
  void ReconcileAll() {
    Put("validation", res_.generation, "True", At(10));
    Put("dns", res_.generation, "True", At(11));
    Step();
  }

  model::Resource res_;
  std::vector<std::string> required_{"validation", "dns"};
  std::vector<AdapterStatus> statuses_;
  bool has_active_children_ = false;
};

// --- Adapter condition type ----------------------------------------------------------------

TEST(AdapterConditionType, PascalCasesDashSeparatedNames) {
  const std::pair<const char*, const char*> cases[] = {
      {"validation", "ValidationSuccessful"},   {"dns", "DnsSuccessful"},
      {"pull-secret", "PullSecretSuccessful"},  {"a-b-c", "ABCSuccessful"},
      {"adapter1", "Adapter1Successful"},       {"my--adapter", "MyAdapterSuccessful"},
      {"-lead-trail-", "LeadTrailSuccessful"},  {"hyperShift", "HyperShiftSuccessful"},
      {"under_score", "Under_scoreSuccessful"}, {"", "Successful"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(model::AdapterConditionType(in), want) << in;
}

// --- Shape ---------------------------------------------------------------------------------

TEST_F(AggregationTest, NoRequiredAdaptersGivesNoConditions) {
  required_.clear();
  Put("validation", 1, "True", At(10));
  res_.conditions = {Named("Reconciled")};
  EXPECT_TRUE(Run().empty());
}

TEST_F(AggregationTest, OrderIsAggregatesThenAdaptersInRequiredOrder) {
  required_ = {"validation", "pull-secret", "dns"};
  Put("dns", 1, "True", At(10));
  Put("validation", 1, "False", At(11));
  Put("pull-secret", 1, "True", At(12));
  Step();
  EXPECT_EQ(Types(),
            (std::vector<std::string>{"Reconciled", "LastKnownReconciled", "ValidationSuccessful",
                                      "PullSecretSuccessful", "DnsSuccessful"}));
}

TEST_F(AggregationTest, IsDeterministicAndIndependentOfRowOrder) {
  Put("validation", 1, "True", At(10));
  Put("dns", 1, "False", At(11));
  const auto first = Run();
  EXPECT_EQ(Run(), first);
  std::reverse(statuses_.begin(), statuses_.end());
  EXPECT_EQ(Run(), first);
}

// --- Initial create ------------------------------------------------------------------------

TEST_F(AggregationTest, InitialCreateWithoutReports) {
  const Condition want_reconciled{.type = "Reconciled",
                                  .status = "False",
                                  .reason = "ReconciledMissingAdapters",
                                  .message =
                                      "Required adapters not reporting Available=True: [dns, "
                                      "validation]. Currently reporting: []",
                                  .observed_generation = 1,
                                  .created_time = At(0),
                                  .last_updated_time = At(0),
                                  .last_transition_time = At(0)};
  const Condition want_lkr{.type = "LastKnownReconciled",
                           .status = "False",
                           .reason = "AdaptersMissingReports",
                           .message = kMissingMsg,
                           .observed_generation = 1,
                           .created_time = At(0),
                           .last_updated_time = At(0),
                           .last_transition_time = At(0)};
  EXPECT_EQ(Run(), (std::vector<Condition>{want_reconciled, want_lkr}));
}

// --- Reconciled ----------------------------------------------------------------------------

TEST_F(AggregationTest, PartialReportListsMissingAndReporting) {
  Step();
  Put("validation", 1, "True", At(10));
  Step();
  EXPECT_EQ(Reconciled().status, "False");
  EXPECT_EQ(Reconciled().message,
            "Required adapters not reporting Available=True: [dns]. Currently reporting: "
            "[validation]");
  EXPECT_EQ(Reconciled().last_updated_time, At(10));
  EXPECT_EQ(Reconciled().last_transition_time, At(0));  // still False
  EXPECT_EQ(Lkr().reason, "AdaptersMissingReports");
  EXPECT_EQ(Lkr().last_updated_time, At(0));
  EXPECT_EQ(Types(), (std::vector<std::string>{"Reconciled", "LastKnownReconciled",
                                               "ValidationSuccessful"}));
}

TEST_F(AggregationTest, FalseAdapterIsListedAsNotReportingButAsReporting) {
  Put("validation", 1, "False", At(10));
  Put("dns", 1, "True", At(11));
  Step();
  EXPECT_EQ(Reconciled().message,
            "Required adapters not reporting Available=True: [validation]. Currently reporting: "
            "[dns, validation]");
  EXPECT_EQ(Reconciled().last_updated_time, At(10));  // min at generation, whatever the status
}

TEST_F(AggregationTest, AllTrueAtCurrentGenerationIsReconciledAll) {
  Step();
  ReconcileAll();
  const Condition& r = Reconciled();
  EXPECT_EQ(r.status, "True");
  EXPECT_EQ(r.reason, "ReconciledAll");
  EXPECT_EQ(r.message, kReconciledAllMsg);
  EXPECT_EQ(r.observed_generation, 1);
  EXPECT_EQ(r.last_updated_time, At(10));
  EXPECT_EQ(r.last_transition_time, At(10));  // False→True: last_updated
  EXPECT_EQ(r.created_time, At(0));
}

TEST_F(AggregationTest, GenerationBumpAfterAllTrue) {
  ReconcileAll();
  Bump(At(100));
  Step();
  const Condition& r = Reconciled();
  EXPECT_EQ(r.status, "False");
  EXPECT_EQ(r.reason, "ReconciledMissingAdapters");
  EXPECT_EQ(r.message,
            "Required adapters not reporting Available=True: [dns, validation]. Currently "
            "reporting: [dns, validation]");
  EXPECT_EQ(r.observed_generation, 2);
  EXPECT_EQ(r.last_updated_time, At(100));     // nobody at generation 2: RefTime
  EXPECT_EQ(r.last_transition_time, At(100));  // True→False on a newer generation: RefTime
  const Condition& k = Lkr();
  EXPECT_EQ(k.status, "True");
  EXPECT_EQ(k.reason, "AllAdaptersReconciled");
  EXPECT_EQ(k.observed_generation, 1);
  EXPECT_EQ(k.last_updated_time, At(10));
  EXPECT_EQ(k.last_transition_time, At(10));
}

TEST_F(AggregationTest, TrueToFalseOnNewerGenerationUsesRefTimeNotReportTimes) {
  ReconcileAll();
  Bump(At(100));
  Put("validation", 2, "True", At(110));  // already reported when aggregation runs
  Step();
  EXPECT_EQ(Reconciled().status, "False");
  EXPECT_EQ(Reconciled().last_updated_time, At(110));
  EXPECT_EQ(Reconciled().last_transition_time, At(100));
}

TEST_F(AggregationTest, TrueToFalseAtSameGenerationUsesLastUpdated) {
  ReconcileAll();
  Put("dns", 1, "False", At(20));
  Step();
  EXPECT_EQ(Reconciled().status, "False");
  EXPECT_EQ(Reconciled().last_updated_time, At(10));
  EXPECT_EQ(Reconciled().last_transition_time, At(10));
}

TEST_F(AggregationTest, ReconciledLastUpdatedIgnoresOlderGenerations) {
  Bump(At(100));
  Put("validation", 1, "True", At(5));
  Put("dns", 2, "True", At(150));
  Step();
  EXPECT_EQ(Reconciled().status, "False");
  EXPECT_EQ(Reconciled().last_updated_time, At(150));
}

TEST_F(AggregationTest, ReconciledTransitionKeptWhileStatusUnchanged) {
  Step();
  Put("validation", 1, "True", At(10));
  Step();
  Put("validation", 1, "True", At(20));
  Put("dns", 1, "False", At(15));
  Step();
  EXPECT_EQ(Reconciled().last_updated_time, At(15));
  EXPECT_EQ(Reconciled().last_transition_time, At(0));
}

// --- LastKnownReconciled -------------------------------------------------------------------

TEST_F(AggregationTest, AllTrueUniformTracksCommonGeneration) {
  ReconcileAll();
  const Condition& k = Lkr();
  EXPECT_EQ(k.status, "True");
  EXPECT_EQ(k.reason, "AllAdaptersReconciled");
  EXPECT_EQ(k.message, kAllReconciledMsg);
  EXPECT_EQ(k.observed_generation, 1);
  EXPECT_EQ(k.last_updated_time, At(10));
  EXPECT_EQ(k.last_transition_time, At(10));
}

TEST_F(AggregationTest, MixedGenerationsAfterBumpStaySticky) {
  ReconcileAll();
  Bump(At(100));
  Step();
  Put("validation", 2, "True", At(110));
  Step();
  EXPECT_EQ(Reconciled().status, "False");
  EXPECT_EQ(Reconciled().message,
            "Required adapters not reporting Available=True: [dns]. Currently reporting: [dns, "
            "validation]");
  EXPECT_EQ(Reconciled().last_updated_time, At(110));
  EXPECT_EQ(Reconciled().last_transition_time, At(100));
  EXPECT_EQ(Lkr().status, "True");
  EXPECT_EQ(Lkr().observed_generation, 1);
  EXPECT_EQ(Lkr().last_updated_time, At(10));
}

TEST_F(AggregationTest, CatchingUpMovesTrackedGeneration) {
  ReconcileAll();
  Bump(At(100));
  Step();
  Put("validation", 2, "True", At(120));
  Put("dns", 2, "True", At(110));
  Step();
  EXPECT_EQ(Reconciled().status, "True");
  EXPECT_EQ(Reconciled().last_updated_time, At(110));
  EXPECT_EQ(Reconciled().last_transition_time, At(110));
  EXPECT_EQ(Lkr().observed_generation, 2);
  EXPECT_EQ(Lkr().last_updated_time, At(110));
  EXPECT_EQ(Lkr().last_transition_time, At(10));  // was True all along
}

TEST_F(AggregationTest, MixedGenerationsWithoutPriorTrueIsNotConsistent) {
  Bump(At(100));
  Step();
  Put("validation", 1, "True", At(10));
  Put("dns", 2, "True", At(110));
  Step();
  const Condition& k = Lkr();
  EXPECT_EQ(k.status, "False");
  EXPECT_EQ(k.reason, "AdaptersNotAtSameGeneration");
  EXPECT_EQ(k.message, kMixedMsg);
  EXPECT_EQ(k.observed_generation, 2);         // max among reporters
  EXPECT_EQ(k.last_updated_time, At(100));     // no False report: previous
  EXPECT_EQ(k.last_transition_time, At(100));  // unchanged status
}

TEST_F(AggregationTest, FalseAtTrackedGenerationFlipsLastKnownReconciled) {
  ReconcileAll();
  Put("dns", 1, "False", At(20));
  Step();
  const Condition& k = Lkr();
  EXPECT_EQ(k.status, "False");
  EXPECT_EQ(k.reason, "AdapterReportedNotAvailable");
  EXPECT_EQ(k.message, kNotAvailableMsg);
  EXPECT_EQ(k.observed_generation, 1);
  EXPECT_EQ(k.last_updated_time, At(10));  // min of the times at generation 1
  EXPECT_EQ(k.last_transition_time, At(10));
}

TEST_F(AggregationTest, FalseAtNewerGenerationKeepsLastKnownReconciled) {
  ReconcileAll();
  Bump(At(100));
  Step();
  Put("dns", 2, "False", At(110));
  Step();
  EXPECT_EQ(Lkr().status, "True");
  EXPECT_EQ(Lkr().reason, "AllAdaptersReconciled");
  EXPECT_EQ(Lkr().observed_generation, 1);
  EXPECT_EQ(Lkr().last_updated_time, At(10));
  Put("validation", 2, "False", At(120));  // every adapter failing, but not at generation 1
  Step();
  EXPECT_EQ(Lkr().status, "True");
  EXPECT_EQ(Lkr().observed_generation, 1);
}

TEST_F(AggregationTest, FalseWithoutPriorTrue) {
  Put("validation", 1, "False", At(12));
  Put("dns", 1, "True", At(11));
  Step();
  EXPECT_EQ(Lkr().status, "False");
  EXPECT_EQ(Lkr().reason, "AdapterReportedNotAvailable");
  EXPECT_EQ(Lkr().observed_generation, 1);
  EXPECT_EQ(Lkr().last_updated_time, At(11));
  EXPECT_EQ(Lkr().last_transition_time, At(11));
}

TEST_F(AggregationTest, FalseReportBelowMaxGenerationKeepsPreviousTime) {
  Bump(At(100));
  Step();
  Put("validation", 1, "False", At(10));
  Put("dns", 2, "True", At(110));
  Step();
  EXPECT_EQ(Lkr().status, "False");
  EXPECT_EQ(Lkr().reason, "AdapterReportedNotAvailable");
  EXPECT_EQ(Lkr().observed_generation, 2);
  EXPECT_EQ(Lkr().last_updated_time, At(100));  // no False report at generation 2
}

TEST_F(AggregationTest, MissingReportsWinOverFalseReports) {
  Put("validation", 1, "False", At(10));
  Step();
  EXPECT_EQ(Lkr().status, "False");
  EXPECT_EQ(Lkr().reason, "AdaptersMissingReports");
  EXPECT_EQ(Lkr().message, kMissingMsg);
  EXPECT_EQ(Lkr().last_updated_time, At(10));  // a False report at generation 1
}

TEST_F(AggregationTest, NoReportersFallsBackToPreviousGenerationAndTime) {
  ReconcileAll();
  Bump(At(100));
  Put("dns", 2, "False", At(110));
  Step();
  ASSERT_EQ(Lkr().status, "True");
  required_ = {"hypershift"};  // config changed: the new adapter never reported
  Step();
  EXPECT_EQ(Lkr().status, "False");
  EXPECT_EQ(Lkr().reason, "AdaptersMissingReports");
  EXPECT_EQ(Lkr().observed_generation, 1);
  EXPECT_EQ(Lkr().last_updated_time, At(10));
  EXPECT_EQ(Lkr().last_transition_time, At(10));
}

// --- Input filtering -----------------------------------------------------------------------

TEST_F(AggregationTest, UnknownAndMissingAvailableAreIgnored) {
  Put("validation", 1, "Unknown", At(10));
  Put("dns", 1, "True", At(11));
  statuses_.back().conditions.erase(statuses_.back().conditions.begin());  // no Available
  const auto with_rows = Run();
  statuses_.clear();
  EXPECT_EQ(with_rows, Run());  // the same as no reports at all
}

TEST_F(AggregationTest, ReportsAboveGenerationAreIgnored) {
  Put("validation", 2, "True", At(10));
  Put("dns", 1, "True", At(11));  // == generation is fine
  Step();
  EXPECT_EQ(Reconciled().message,
            "Required adapters not reporting Available=True: [validation]. Currently reporting: "
            "[dns]");
  EXPECT_EQ(Types(),
            (std::vector<std::string>{"Reconciled", "LastKnownReconciled", "DnsSuccessful"}));
}

TEST_F(AggregationTest, NonRequiredAdaptersAreIgnored) {
  Put("audit", 1, "False", At(5));
  ReconcileAll();
  EXPECT_EQ(Reconciled().status, "True");
  EXPECT_EQ(Lkr().status, "True");
  EXPECT_EQ(res_.FindCondition("AuditSuccessful"), nullptr);
  required_.push_back("hypershift");
  Step();
  EXPECT_EQ(Reconciled().message,
            "Required adapters not reporting Available=True: [hypershift]. Currently reporting: "
            "[dns, validation]");
}

TEST_F(AggregationTest, ConditionsNotProducedAnyMoreAreDropped) {
  ReconcileAll();
  res_.conditions.push_back(Named("Ready"));
  required_ = {"validation"};
  Step();
  EXPECT_EQ(Types(), (std::vector<std::string>{"Reconciled", "LastKnownReconciled",
                                               "ValidationSuccessful"}));
}

// --- Per-adapter conditions ----------------------------------------------------------------

TEST_F(AggregationTest, AdapterConditionMirrorsAvailable) {
  Bump(At(100));
  Put("validation", 2, "False", At(110), "", "QuotaExceeded", "no quota left");
  Put("dns", 1, "True", At(20), "", "Ok", "records in place");
  Step();
  const Condition& v = Get("ValidationSuccessful");
  EXPECT_EQ(v, (Condition{.type = "ValidationSuccessful",
                          .status = "False",
                          .reason = "QuotaExceeded",
                          .message = "no quota left",
                          .observed_generation = 2,
                          .created_time = At(100),
                          .last_updated_time = At(110),
                          .last_transition_time = At(110)}));
  const Condition& d = Get("DnsSuccessful");
  EXPECT_EQ(d.status, "True");
  EXPECT_EQ(d.reason, "Ok");
  EXPECT_EQ(d.observed_generation, 1);
  EXPECT_EQ(d.last_updated_time, At(20));
}

TEST_F(AggregationTest, AdapterTransitionChangesOnlyWithStatus) {
  Put("validation", 1, "True", At(10));
  Step();
  Put("validation", 1, "True", At(20), "", "Still", "fine");
  Step();
  EXPECT_EQ(Get("ValidationSuccessful").last_updated_time, At(20));
  EXPECT_EQ(Get("ValidationSuccessful").last_transition_time, At(10));
  EXPECT_EQ(Get("ValidationSuccessful").reason, "Still");
  Put("validation", 1, "False", At(30));
  Step();
  EXPECT_EQ(Get("ValidationSuccessful").last_transition_time, At(30));
}

// --- created_time --------------------------------------------------------------------------

TEST_F(AggregationTest, CreatedTimeIsKeptFromFirstWrite) {
  Step();
  Bump(At(100));
  Put("validation", 2, "True", At(110));
  Step();
  Bump(At(200));
  Put("validation", 3, "False", At(210));
  Put("dns", 3, "True", At(220));
  Step();
  EXPECT_EQ(Reconciled().created_time, At(0));
  EXPECT_EQ(Lkr().created_time, At(0));
  EXPECT_EQ(Get("ValidationSuccessful").created_time, At(100));  // RefTime when first written
  EXPECT_EQ(Get("DnsSuccessful").created_time, At(200));
}

// --- Deleting ------------------------------------------------------------------------------

TEST_F(AggregationTest, DeletingNeedsFinalizedInsteadOfAvailable) {
  ReconcileAll();
  Delete(At(100));
  Put("validation", 2, "True", At(110));
  Put("dns", 2, "False", At(120), "True");
  Step();
  const Condition& r = Reconciled();
  EXPECT_EQ(r.status, "False");
  EXPECT_EQ(r.reason, "ReconciledMissingAdapters");
  EXPECT_EQ(r.message,
            "Required adapters not reporting Finalized=True: [validation]. Currently reporting: "
            "[dns, validation]");
  EXPECT_EQ(r.observed_generation, 2);
  EXPECT_EQ(r.last_transition_time, At(100));
}

TEST_F(AggregationTest, DeletingAllFinalizedIsReconciledAll) {
  Delete(At(100));
  Put("validation", 2, "False", At(110), "True");
  Put("dns", 2, "True", At(120), "True");
  has_active_children_ = false;
  Step();
  EXPECT_EQ(Reconciled().status, "True");
  EXPECT_EQ(Reconciled().reason, "ReconciledAll");
  EXPECT_EQ(Reconciled().message, kReconciledAllMsg);
  EXPECT_EQ(Reconciled().last_updated_time, At(110));
}

TEST_F(AggregationTest, DeletingWaitsForChildren) {
  Delete(At(100));
  Put("validation", 2, "True", At(110), "True");
  Put("dns", 2, "True", At(120), "True");
  has_active_children_ = true;
  Step();
  EXPECT_EQ(Reconciled().status, "False");
  EXPECT_EQ(Reconciled().reason, "ReconciledWaitingForChildren");
  EXPECT_EQ(Reconciled().message, kWaitingMsg);
  has_active_children_ = false;
  Step();
  EXPECT_EQ(Reconciled().status, "True");
  EXPECT_EQ(Reconciled().last_transition_time, At(110));
}

TEST_F(AggregationTest, DeletingWithChildrenButUnfinalizedListsAdapters) {
  Delete(At(100));
  Put("validation", 2, "True", At(110), "True");
  has_active_children_ = true;
  Step();
  EXPECT_EQ(Reconciled().reason, "ReconciledMissingAdapters");
  EXPECT_EQ(Reconciled().message,
            "Required adapters not reporting Finalized=True: [dns]. Currently reporting: "
            "[validation]");
}

TEST_F(AggregationTest, DeletingIgnoresFinalizedAtOlderGenerationOrWithUnknownAvailable) {
  Delete(At(100));
  Put("validation", 1, "True", At(10), "True");
  Put("dns", 2, "Unknown", At(120), "True");
  Step();
  EXPECT_EQ(Reconciled().message,
            "Required adapters not reporting Finalized=True: [dns, validation]. Currently "
            "reporting: [validation]");
}

TEST_F(AggregationTest, FinalizedAndChildrenDoNotMatterWhenNotDeleting) {
  Put("validation", 1, "False", At(10), "True");
  Put("dns", 1, "True", At(11), "True");
  has_active_children_ = true;
  Step();
  EXPECT_EQ(Reconciled().reason, "ReconciledMissingAdapters");
  EXPECT_EQ(Reconciled().message,
            "Required adapters not reporting Available=True: [validation]. Currently reporting: "
            "[dns, validation]");
  Put("validation", 1, "True", At(12));
  Step();
  EXPECT_EQ(Reconciled().reason, "ReconciledAll");
}

TEST_F(AggregationTest, DuplicateRowsUseTheNewest) {
  Put("validation", 1, "True", At(10));
  Put("dns", 1, "True", At(11));
  AdapterStatus stale = statuses_.front();
  stale.conditions.front().status = "False";
  stale.last_report_time = At(5);
  statuses_.push_back(stale);
  Step();
  EXPECT_EQ(Reconciled().status, "True");
  EXPECT_EQ(Get("ValidationSuccessful").last_updated_time, At(10));
}

}  // namespace
}  // namespace hf::service
