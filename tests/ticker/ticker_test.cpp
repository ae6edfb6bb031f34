// The poll loop against a fault-injecting fake API, with a fake clock.
#include "ticker/ticker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <thread>

#include "ticker/queries.hpp"

namespace hf::ticker {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

const Time kT0 = *ParseTime("2026-03-01T12:00:00Z");

// Serves two lists (by the search text) and records event requests; errors are injected.
class FakeApi : public FleetApi {
 public:
  Result<std::vector<json>> List(const std::string& search) override {
    std::lock_guard lock(mu);
    ++lists;
    if (list_error) return Fail(*list_error);
    if (search.starts_with("status.conditions.Reconciled='False'")) return not_reconciled;
    if (search.starts_with("status.conditions.Reconciled='True'")) {
      last_stale_search = search;
      return stale;
    }
    return Fail(ErrorCode::kInvalidArgument, "unexpected search " + search);
  }
  Result<client::EventOutcome> RequestEvent(const std::string& id) override {
    std::unique_lock lock(mu);
    requests.push_back(id);
    if (hold_until_in_flight > 0) {  // wait (up to 10 s) until that many requests are in flight
      ++in_flight;
      max_in_flight = std::max(max_in_flight, in_flight);
      changed.notify_all();
      changed.wait_for(lock, seconds(10), [&] { return max_in_flight >= hold_until_in_flight; });
      --in_flight;
    }
    if (request_error) return Fail(*request_error);
    return pending ? client::EventOutcome::kPending : client::EventOutcome::kAccepted;
  }

  std::mutex mu;
  std::condition_variable changed;
  int hold_until_in_flight = 0, in_flight = 0, max_in_flight = 0;
  std::vector<json> not_reconciled, stale;
  std::optional<Error> list_error, request_error;
  bool pending = false;
  std::vector<std::string> requests;
  std::string last_stale_search;
  int lists = 0;
};

json Cluster(const std::string& id, int64_t generation, const std::string& reconciled,
             Time updated = kT0 - std::chrono::hours(1)) {
  return {{"id", id},
          {"generation", generation},
          {"status",
           {{"conditions", json::array({{{"type", "Reconciled"},
                                         {"status", reconciled},
                                         {"observed_generation", generation},
                                         {"last_updated_time", FormatTime(updated)}}})}}}};
}

// A counter of the clusters ticker (the default resource type).
double CounterValue(const std::string& name, const std::string& reason = "") {
  auto& r = metrics::Registry::Default();
  if (reason.empty())
    return r.AddCounter(name, "", {"resource_type"}).WithLabels({"clusters"}).Value();
  return r.AddCounter(name, "", {"resource_type", "reason"})
      .WithLabels({"clusters", reason})
      .Value();
}

class TickerTest : public ::testing::Test {
 protected:
  TickerTest() {
    options_.poll_interval = seconds(5);
    ticker_ = std::make_unique<Ticker>(
        api_, options_, [this] { return now_; }, [] { return 0.5; });
  }
  void Advance(Duration d) { now_ += d; }

  FakeApi api_;
  TickerOptions options_;
  Time now_ = kT0;
  std::unique_ptr<Ticker> ticker_;
};

TEST_F(TickerTest, RequestsFollowTheBackoffAndCountByReason) {
  api_.not_reconciled = {Cluster("a", 1, "False")};
  const double before = CounterValue("hyperfleet_ticker_events_requested_total", "not_reconciled");
  ASSERT_TRUE(ticker_->PollOnce());  // first sight: due in 10 s
  EXPECT_TRUE(api_.requests.empty());
  Advance(seconds(5));
  ASSERT_TRUE(ticker_->PollOnce());
  EXPECT_TRUE(api_.requests.empty());
  Advance(seconds(5));
  ASSERT_TRUE(ticker_->PollOnce());  // +10 s
  EXPECT_EQ(api_.requests, std::vector<std::string>{"a"});
  for (int i = 0; i < 3; ++i) {  // +15 … +25 s: waiting 20 s
    Advance(seconds(5));
    ASSERT_TRUE(ticker_->PollOnce());
  }
  EXPECT_EQ(api_.requests.size(), 1u);
  Advance(seconds(5));  // +30 s
  ASSERT_TRUE(ticker_->PollOnce());
  EXPECT_EQ(api_.requests.size(), 2u);
  EXPECT_EQ(CounterValue("hyperfleet_ticker_events_requested_total", "not_reconciled") - before, 2);
  EXPECT_EQ(ticker_->Readiness(), "");
  EXPECT_EQ(ticker_->TrackedResources(), 1u);
}

TEST_F(TickerTest, PendingAnswerStillWaitsTheBackoff) {
  api_.pending = true;
  api_.not_reconciled = {Cluster("a", 2, "False")};
  api_.not_reconciled[0]["status"]["conditions"][0]["observed_generation"] = 1;
  ASSERT_TRUE(ticker_->PollOnce());  // generation ahead: at once
  EXPECT_EQ(api_.requests.size(), 1u);
  Advance(seconds(5));
  ASSERT_TRUE(ticker_->PollOnce());
  EXPECT_EQ(api_.requests.size(), 1u);  // no spam while the API says pending
}

TEST_F(TickerTest, TransientRequestFailureIsRetriedNextPoll) {
  api_.not_reconciled = {Cluster("a", 2, "False")};
  api_.not_reconciled[0]["status"]["conditions"][0]["observed_generation"] = 1;
  api_.request_error = Error{ErrorCode::kUnavailable, "down", {}, {}};
  const double errors = CounterValue("hyperfleet_ticker_api_errors_total");
  ASSERT_TRUE(ticker_->PollOnce());  // the poll itself succeeded
  EXPECT_EQ(CounterValue("hyperfleet_ticker_api_errors_total") - errors, 1);
  api_.request_error.reset();
  Advance(seconds(5));
  ASSERT_TRUE(ticker_->PollOnce());
  EXPECT_EQ(api_.requests.size(), 2u);  // asked again at once: the first never got through
}

// The requests of one poll are sent concurrently (a poll finding 1 000 resources due must not
// take 1 000 round trips end to end), and each resource still gets exactly one.
TEST_F(TickerTest, RequestsOfOnePollRunConcurrently) {
  for (int i = 0; i < 20; ++i) {
    api_.not_reconciled.push_back(Cluster("c" + std::to_string(i), 2, "False"));
    api_.not_reconciled.back()["status"]["conditions"][0]["observed_generation"] = 1;
  }
  api_.hold_until_in_flight = 4;
  ASSERT_TRUE(ticker_->PollOnce());
  EXPECT_GE(api_.max_in_flight, 4);
  std::vector<std::string> sorted = api_.requests;
  std::ranges::sort(sorted);
  EXPECT_EQ(std::ranges::unique(sorted).begin(), sorted.end()) << "a resource asked twice";
  EXPECT_EQ(api_.requests.size(), 20u);
  EXPECT_EQ(ticker_->TrackedResources(), 20u);
}

TEST_F(TickerTest, DeletedResourceIsForgotten) {
  api_.not_reconciled = {Cluster("a", 2, "False")};
  api_.not_reconciled[0]["status"]["conditions"][0]["observed_generation"] = 1;
  api_.request_error = Error{ErrorCode::kNotFound, "gone", {}, {}};
  ASSERT_TRUE(ticker_->PollOnce());
  EXPECT_EQ(ticker_->TrackedResources(), 0u);
}

TEST_F(TickerTest, ListFailureMakesItNotReadyAndKeepsState) {
  api_.not_reconciled = {Cluster("a", 1, "False")};
  EXPECT_EQ(ticker_->Readiness(), "no successful poll yet");
  ASSERT_TRUE(ticker_->PollOnce());
  EXPECT_EQ(ticker_->Readiness(), "");
  api_.list_error = Error{ErrorCode::kUnavailable, "API unavailable", "GET … → 503", {}};
  Advance(seconds(10));
  EXPECT_FALSE(ticker_->PollOnce());
  EXPECT_TRUE(api_.requests.empty());
  EXPECT_NE(ticker_->Readiness().find("API unavailable"), std::string::npos);
  EXPECT_EQ(ticker_->Liveness(), "");  // 10 s ≤ 3 × 5 s
  Advance(seconds(5) + milliseconds(1));
  EXPECT_NE(ticker_->Liveness(), "");  // 15.001 s > 3 × 5 s
  api_.list_error.reset();
  ASSERT_TRUE(ticker_->PollOnce());  // the request that was due is made now
  EXPECT_EQ(api_.requests.size(), 1u);
  EXPECT_EQ(ticker_->Readiness(), "");
  EXPECT_EQ(ticker_->Liveness(), "");
}

TEST_F(TickerTest, LivenessBeforeAnyPollCountsFromStart) {
  EXPECT_EQ(ticker_->Liveness(), "");
  Advance(seconds(15));
  EXPECT_EQ(ticker_->Liveness(), "");
  Advance(milliseconds(1));
  EXPECT_NE(ticker_->Liveness(), "");
}

TEST_F(TickerTest, StaleReconciledIsRequestedOncePerMaxAge) {
  api_.stale = {Cluster("r", 1, "True", kT0 - std::chrono::minutes(31))};
  ASSERT_TRUE(ticker_->PollOnce());
  EXPECT_EQ(api_.requests, std::vector<std::string>{"r"});
  EXPECT_EQ(api_.last_stale_search, StaleSearch({}, kT0 - std::chrono::minutes(30)));
  Advance(seconds(5));
  ASSERT_TRUE(ticker_->PollOnce());
  EXPECT_EQ(api_.requests.size(), 1u);
}

TEST_F(TickerTest, UnlistedResourcesAreForgottenAfterAWhile) {
  api_.not_reconciled = {Cluster("a", 1, "False"), Cluster("a", 1, "False")};  // paging overlap
  ASSERT_TRUE(ticker_->PollOnce());
  EXPECT_EQ(ticker_->TrackedResources(), 1u);
  api_.not_reconciled.clear();
  Advance(std::chrono::minutes(5));  // max(backoff_max, 10 × poll_interval) = 5 min
  ASSERT_TRUE(ticker_->PollOnce());
  EXPECT_EQ(ticker_->TrackedResources(), 1u);
  Advance(milliseconds(1));
  ASSERT_TRUE(ticker_->PollOnce());
  EXPECT_EQ(ticker_->TrackedResources(), 0u);
}

TEST(TickerLoop, KeepsPollingThroughFailuresAndStopsPromptly) {
  FakeApi api;
  api.list_error = Error{ErrorCode::kUnavailable, "down", {}, {}};
  TickerOptions o;
  o.poll_interval = milliseconds(20);
  o.error_backoff_max = milliseconds(40);
  Ticker ticker(api, o);
  ticker.Start();
  std::this_thread::sleep_for(milliseconds(200));
  {
    std::lock_guard lock(api.mu);
    EXPECT_GE(api.lists, 3);  // retried with backoff, still running
    api.list_error.reset();
  }
  bool ready = false;
  for (int i = 0; i < 100 && !ready; ++i) {
    std::this_thread::sleep_for(milliseconds(20));
    ready = ticker.Readiness().empty();
  }
  EXPECT_TRUE(ready);
  const auto begin = std::chrono::steady_clock::now();
  ticker.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - begin, seconds(2));
}

TEST(TickerOptions, Validation) {
  TickerOptions o;
  EXPECT_TRUE(Validate(o));
  o.resource_type = "widgets";
  auto bad = Validate(o);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message, "resource_type must be clusters or nodepools, got 'widgets'");
  o.resource_type = "nodepools";
  EXPECT_TRUE(Validate(o));
  o.poll_interval = Duration::zero();
  EXPECT_FALSE(Validate(o));
  o.poll_interval = seconds(1);
  o.decision.backoff_max = seconds(1);
  EXPECT_FALSE(Validate(o));  // below the 10 s base
  o.decision.backoff_max = seconds(10);
  o.decision.debounce = Duration(-1);
  EXPECT_FALSE(Validate(o));
}

}  // namespace
}  // namespace hf::ticker
