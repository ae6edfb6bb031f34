// Decide(): every boundary of the per-resource decision, with a fixed clock and jitter.
#include "ticker/decision.hpp"

#include <gtest/gtest.h>

namespace hf::ticker {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr double kNoJitter = 0.5;  // factor 1.0

const Time kT0 = *ParseTime("2026-03-01T12:00:00Z");

json Cond(const std::string& type, const std::string& status, int64_t observed, Time updated) {
  return {{"type", type},
          {"status", status},
          {"observed_generation", observed},
          {"last_updated_time", FormatTime(updated)},
          {"last_transition_time", FormatTime(updated)}};
}

// A cluster at `generation` with a Reconciled condition and optional adapter conditions.
json Resource(int64_t generation, const std::string& reconciled, int64_t observed,
              Time reconciled_updated, json adapters = json::array()) {
  json conditions = json::array({Cond("Reconciled", reconciled, observed, reconciled_updated)});
  for (auto& a : adapters) conditions.push_back(a);
  return {{"id", "c1"},
          {"kind", "Cluster"},
          {"generation", generation},
          {"labels", {{"shard", "a"}}},
          {"status", {{"conditions", conditions}}}};
}

json NotReconciled(int64_t generation = 1, json adapters = json::array()) {
  return Resource(generation, "False", generation, kT0 - minutes(1), std::move(adapters));
}

DecisionOptions Defaults() { return {}; }

// Runs the first sight of a not-reconciled resource at kT0 (schedules the first request).
BackoffState FirstSight(const json& r, const DecisionOptions& o = Defaults()) {
  auto d = Decide(r, kT0, {}, o, kNoJitter);
  EXPECT_EQ(d.action, Action::kNone);
  EXPECT_EQ(d.reason, Reason::kBackoff);
  return d.next;
}

TEST(Decide, NotReconciledWaitsTheBaseFirstThenRequestsExactlyAtTheEdge) {
  const json r = NotReconciled();
  BackoffState s = FirstSight(r);
  ASSERT_TRUE(s.next_due);
  EXPECT_EQ(*s.next_due, kT0 + seconds(10));
  EXPECT_EQ(s.attempts, 0);

  auto early = Decide(r, kT0 + seconds(10) - milliseconds(1), s, Defaults(), kNoJitter);
  EXPECT_EQ(early.action, Action::kNone);
  EXPECT_EQ(early.reason, Reason::kBackoff);

  auto edge = Decide(r, kT0 + seconds(10), s, Defaults(), kNoJitter);
  EXPECT_EQ(edge.action, Action::kRequest);
  EXPECT_EQ(edge.reason, Reason::kNotReconciled);
  EXPECT_EQ(edge.next.attempts, 1);
  EXPECT_EQ(*edge.next.next_due, kT0 + seconds(10) + seconds(20));
}

TEST(Decide, IntervalsDoubleUntilTheCap) {
  const json r = NotReconciled();
  BackoffState s = FirstSight(r);
  std::vector<Duration> gaps;
  Time last = kT0;
  for (int i = 0; i < 8; ++i) {
    const Time now = *s.next_due;
    auto d = Decide(r, now, s, Defaults(), kNoJitter);
    ASSERT_EQ(d.action, Action::kRequest) << i;
    gaps.push_back(std::chrono::duration_cast<Duration>(now - last));
    last = now;
    s = d.next;
  }
  const std::vector<Duration> want = {seconds(10),  seconds(20), seconds(40), seconds(80),
                                      seconds(160), minutes(5),  minutes(5),  minutes(5)};
  EXPECT_EQ(gaps, want);
}

TEST(Decide, JitterStaysWithinTenPercent) {
  const json r = NotReconciled();
  auto low = Decide(r, kT0, {}, Defaults(), 0.0);
  auto high = Decide(r, kT0, {}, Defaults(), 1.0);
  auto mid = Decide(r, kT0, {}, Defaults(), 0.5);
  EXPECT_EQ(*low.next.next_due, kT0 + seconds(9));
  EXPECT_EQ(*high.next.next_due, kT0 + seconds(11));
  EXPECT_EQ(*mid.next.next_due, kT0 + seconds(10));
  // Out-of-range samples are clamped, never beyond the bounds.
  EXPECT_EQ(*Decide(r, kT0, {}, Defaults(), -3.0).next.next_due, kT0 + seconds(9));
  EXPECT_EQ(*Decide(r, kT0, {}, Defaults(), 7.0).next.next_due, kT0 + seconds(11));
  // At the cap the jitter only shortens: backoff_max is never exceeded (hf::BackoffPolicy).
  BackoffState s = low.next;
  s.attempts = 9;
  s.next_due = kT0;
  auto capped = Decide(r, kT0, s, Defaults(), 1.0);
  ASSERT_EQ(capped.action, Action::kRequest);
  EXPECT_EQ(*capped.next.next_due, kT0 + seconds(300));
  EXPECT_EQ(*Decide(r, kT0, s, Defaults(), 0.0).next.next_due, kT0 + seconds(270));
}

TEST(Decide, NewGenerationResetsTheBackoff) {
  BackoffState s = FirstSight(NotReconciled(1));
  s.attempts = 5;
  s.next_due = kT0 + minutes(5);
  // Generation 2, Reconciled re-evaluated at 2 (what our API does on PATCH): backoff restarts.
  auto d = Decide(NotReconciled(2), kT0 + seconds(1), s, Defaults(), kNoJitter);
  EXPECT_EQ(d.action, Action::kNone);
  EXPECT_EQ(d.reason, Reason::kBackoff);
  EXPECT_EQ(d.next.generation, 2);
  EXPECT_EQ(d.next.attempts, 0);
  EXPECT_EQ(*d.next.next_due, kT0 + seconds(11));
}

TEST(Decide, GenerationAheadOfReconciledRequestsAtOnceThenBacksOff) {
  // Reconciled True at generation 1, resource at 2, an adapter reported just now: no debounce
  // for the first request at a new generation.
  const json r = Resource(2, "True", 1, kT0 - seconds(1),
                          json::array({Cond("DnsSuccessful", "True", 1, kT0)}));
  BackoffState s;
  s.generation = 1;
  s.attempts = 3;
  auto first = Decide(r, kT0, s, Defaults(), kNoJitter);
  EXPECT_EQ(first.action, Action::kRequest);
  EXPECT_EQ(first.reason, Reason::kGenerationChanged);
  EXPECT_EQ(first.next.attempts, 1);
  EXPECT_EQ(*first.next.next_due, kT0 + seconds(20));

  // Not again before the backoff (the API may have answered "pending").
  auto again = Decide(r, kT0 + seconds(5), first.next, Defaults(), kNoJitter);
  EXPECT_EQ(again.action, Action::kNone);
  EXPECT_EQ(again.reason, Reason::kBackoff);
  auto later = Decide(r, kT0 + seconds(20), first.next, Defaults(), kNoJitter);
  EXPECT_EQ(later.action, Action::kRequest);
  EXPECT_EQ(later.reason, Reason::kGenerationChanged);
  EXPECT_EQ(later.next.attempts, 2);
}

TEST(Decide, ReconciledResetsTheBackoff) {
  BackoffState s = FirstSight(NotReconciled(1));
  s.attempts = 4;
  s.next_due = kT0 + minutes(3);
  const json ok = Resource(1, "True", 1, kT0);
  auto d = Decide(ok, kT0 + seconds(1), s, Defaults(), kNoJitter);
  EXPECT_EQ(d.action, Action::kNone);
  EXPECT_EQ(d.reason, Reason::kReconciled);
  EXPECT_EQ(d.next.attempts, 0);
  EXPECT_FALSE(d.next.next_due);
  // Falling back to not reconciled at the same generation starts from the base again.
  auto back = Decide(NotReconciled(1), kT0 + seconds(2), d.next, Defaults(), kNoJitter);
  EXPECT_EQ(back.reason, Reason::kBackoff);
  EXPECT_EQ(*back.next.next_due, kT0 + seconds(12));
}

TEST(Decide, DebounceHoldsADueRequestUntilQuietInclusive) {
  const Time report = kT0 + seconds(8);
  const json r =
      NotReconciled(1, json::array({Cond("ValidationSuccessful", "False", 1, report),
                                    Cond("DnsSuccessful", "False", 1, kT0 - minutes(9))}));
  // First seen at kT0 with only the old report; the new one (+8 s) is seen at +10 s.
  BackoffState s = FirstSight(
      NotReconciled(1, json::array({Cond("DnsSuccessful", "False", 1, kT0 - minutes(9))})));
  // Due at +10 s, but the newest report (+8 s) asks for quiet until +18 s.
  auto held = Decide(r, kT0 + seconds(10), s, Defaults(), kNoJitter);
  EXPECT_EQ(held.action, Action::kNone);
  EXPECT_EQ(held.reason, Reason::kDebounce);
  auto almost = Decide(r, report + seconds(10) - milliseconds(1), held.next, Defaults(), kNoJitter);
  EXPECT_EQ(almost.reason, Reason::kDebounce);
  auto quiet = Decide(r, report + seconds(10), almost.next, Defaults(), kNoJitter);
  EXPECT_EQ(quiet.action, Action::kRequest);
  EXPECT_EQ(quiet.reason, Reason::kNotReconciled);
}

TEST(Decide, ZeroDebounceNeverHolds) {
  DecisionOptions o;
  o.debounce = Duration::zero();
  const json r =
      NotReconciled(1, json::array({Cond("DnsSuccessful", "False", 1, kT0 + seconds(10))}));
  BackoffState s = FirstSight(r, o);
  EXPECT_EQ(Decide(r, kT0 + seconds(10), s, o, kNoJitter).action, Action::kRequest);
}

TEST(Decide, ReportInTheFutureCountsFromWhenItWasFirstSeen) {
  // The API's clock is an hour ahead: the report looks like it is from the future.
  const json r =
      NotReconciled(1, json::array({Cond("DnsSuccessful", "False", 1, kT0 + minutes(60))}));
  BackoffState s = FirstSight(r);
  EXPECT_EQ(*s.report_seen, kT0);
  auto held = Decide(r, kT0 + seconds(9), s, Defaults(), kNoJitter);
  EXPECT_EQ(held.reason, Reason::kBackoff);
  // Due at +10 s and quiet since first sight (+10 s ≥ debounce): requested, skew or not.
  auto d = Decide(r, kT0 + seconds(10), held.next, Defaults(), kNoJitter);
  EXPECT_EQ(d.action, Action::kRequest);
  // A newer report (still in the future) restarts the debounce from its first sighting.
  const json newer =
      NotReconciled(1, json::array({Cond("DnsSuccessful", "False", 1, kT0 + minutes(61))}));
  auto n = Decide(newer, kT0 + seconds(31), d.next, Defaults(), kNoJitter);
  EXPECT_EQ(n.reason, Reason::kDebounce);
  EXPECT_EQ(*n.next.report_seen, kT0 + seconds(31));
  EXPECT_EQ(Decide(newer, kT0 + seconds(41), n.next, Defaults(), kNoJitter).action,
            Action::kRequest);
}

TEST(Decide, ReconciledAndStaleRequestsOncePerMaxAge) {
  const Time updated = kT0 - minutes(30);
  const json exactly = Resource(3, "True", 3, updated);
  // Exactly max_age_ready old is not "older than".
  EXPECT_EQ(Decide(exactly, kT0, {}, Defaults(), kNoJitter).reason, Reason::kReconciled);
  auto d = Decide(exactly, kT0 + milliseconds(1), {}, Defaults(), kNoJitter);
  EXPECT_EQ(d.action, Action::kRequest);
  EXPECT_EQ(d.reason, Reason::kMaxAge);
  EXPECT_EQ(d.next.attempts, 0);
  // Still stale (adapters down): not again within max_age_ready of the last request.
  auto soon = Decide(exactly, kT0 + minutes(29), d.next, Defaults(), kNoJitter);
  EXPECT_EQ(soon.action, Action::kNone);
  EXPECT_EQ(soon.reason, Reason::kReconciled);
  auto again =
      Decide(exactly, kT0 + milliseconds(1) + minutes(30), soon.next, Defaults(), kNoJitter);
  EXPECT_EQ(again.action, Action::kRequest);
  EXPECT_EQ(again.reason, Reason::kMaxAge);
}

TEST(Decide, ReconciledAndFreshDoesNothing) {
  auto d = Decide(Resource(1, "True", 1, kT0 - minutes(29)), kT0, {}, Defaults(), kNoJitter);
  EXPECT_EQ(d.action, Action::kNone);
  EXPECT_EQ(d.reason, Reason::kReconciled);
}

TEST(Decide, MaxAgeIsDebouncedToo) {
  const json r = Resource(1, "True", 1, kT0 - minutes(31),
                          json::array({Cond("DnsSuccessful", "True", 1, kT0 - seconds(2))}));
  EXPECT_EQ(Decide(r, kT0, {}, Defaults(), kNoJitter).reason, Reason::kDebounce);
  EXPECT_EQ(Decide(r, kT0 + seconds(8), {}, Defaults(), kNoJitter).reason, Reason::kMaxAge);
}

TEST(Decide, MissingConditionsCountAsNotReconciled) {
  json bare = {{"id", "c1"}, {"generation", 1}};
  auto d = Decide(bare, kT0, {}, Defaults(), kNoJitter);
  EXPECT_EQ(d.reason, Reason::kBackoff);
  EXPECT_FALSE(d.next.report_time);
  auto due = Decide(bare, kT0 + seconds(10), d.next, Defaults(), kNoJitter);
  EXPECT_EQ(due.action, Action::kRequest);
  EXPECT_EQ(due.reason, Reason::kNotReconciled);

  json empty_status = {
      {"id", "c1"}, {"generation", 1}, {"status", {{"conditions", json::array()}}}};
  EXPECT_EQ(Decide(empty_status, kT0 + seconds(10), d.next, Defaults(), kNoJitter).action,
            Action::kRequest);
  // Reconciled True without last_updated_time: treated as stale (re-checked once per max age).
  json no_time = Resource(1, "True", 1, kT0);
  no_time["status"]["conditions"][0].erase("last_updated_time");
  EXPECT_EQ(Decide(no_time, kT0, {}, Defaults(), kNoJitter).reason, Reason::kMaxAge);
  // Reconciled without observed_generation: generation 1 > 0, so a generation change.
  json no_observed = Resource(1, "False", 1, kT0);
  no_observed["status"]["conditions"][0].erase("observed_generation");
  EXPECT_EQ(Decide(no_observed, kT0, {}, Defaults(), kNoJitter).reason, Reason::kGenerationChanged);
  // Unparseable adapter time: ignored for the debounce.
  json bad_time = NotReconciled(1, json::array({Cond("DnsSuccessful", "False", 1, kT0)}));
  bad_time["status"]["conditions"][1]["last_updated_time"] = "yesterday";
  auto b = Decide(bad_time, kT0 + seconds(10), FirstSight(NotReconciled(1)), Defaults(), kNoJitter);
  EXPECT_EQ(b.action, Action::kRequest);
}

TEST(Decide, InvalidResourcesAreSkippedAndStateKept) {
  BackoffState s;
  s.attempts = 2;
  for (const json& r : {json::array(), json{{"generation", 1}}, json{{"id", ""}, {"generation", 1}},
                        json{{"id", "c1"}}, json{{"id", "c1"}, {"generation", "1"}}}) {
    auto d = Decide(r, kT0, s, Defaults(), kNoJitter);
    EXPECT_EQ(d.action, Action::kNone) << r;
    EXPECT_EQ(d.reason, Reason::kInvalid) << r;
    EXPECT_EQ(d.next.attempts, 2);
  }
}

TEST(Decide, ResourceSelectorMustMatchEveryLabel) {
  DecisionOptions o;
  o.resource_selector = {{"shard", "a"}};
  BackoffState s = FirstSight(NotReconciled(), o);
  EXPECT_EQ(Decide(NotReconciled(), kT0 + seconds(10), s, o, kNoJitter).action, Action::kRequest);

  o.resource_selector = {{"shard", "b"}};
  auto other = Decide(NotReconciled(), kT0 + seconds(10), s, o, kNoJitter);
  EXPECT_EQ(other.action, Action::kNone);
  EXPECT_EQ(other.reason, Reason::kSelector);

  o.resource_selector = {{"shard", "a"}, {"region", "eu"}};
  EXPECT_EQ(Decide(NotReconciled(), kT0 + seconds(10), s, o, kNoJitter).reason, Reason::kSelector);
  json unlabelled = NotReconciled();
  unlabelled.erase("labels");
  o.resource_selector = {{"shard", "a"}};
  EXPECT_EQ(Decide(unlabelled, kT0, {}, o, kNoJitter).reason, Reason::kSelector);
}

TEST(Decide, ReasonNamesAreStable) {
  EXPECT_EQ(ToString(Reason::kGenerationChanged), "generation_changed");
  EXPECT_EQ(ToString(Reason::kNotReconciled), "not_reconciled");
  EXPECT_EQ(ToString(Reason::kMaxAge), "max_age");
  EXPECT_EQ(ToString(Reason::kDebounce), "debounce");
}

}  // namespace
}  // namespace hf::ticker
