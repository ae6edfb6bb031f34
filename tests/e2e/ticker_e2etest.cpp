// The real `hyperfleet ticker` against the real API (with its outbox publishing to the memory
// broker, so each accepted request becomes a new outbox row), on SQLite and on PostgreSQL.
// Timing assertions are deliberately loose: they check order and growth, not exact instants.
#include <gtest/gtest.h>

#include <csignal>
#include <functional>
#include <thread>

#include "common/http_client.hpp"
#include "common/time.hpp"
#include "testing/api_server.hpp"
#include "testing/env.hpp"

namespace hf::testing {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr auto kMaxAgeReady = seconds(5);

struct Event {
  Time created;
  int64_t generation;
};

double Secs(Duration d) { return std::chrono::duration<double>(d).count(); }
Duration Between(Time a, Time b) { return std::chrono::duration_cast<Duration>(b - a); }

bool WaitFor(const std::function<bool()>& done, Duration timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(milliseconds(100));
  }
  return done();
}

long HttpStatus(int port, const std::string& path, std::string* body = nullptr) {
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + path;
  req.timeout = seconds(5);
  auto r = HttpClient().Send(req);
  if (!r) return 0;
  if (body) *body = r->body;
  return r->status;
}

// A `hyperfleet ticker` child process with short intervals.
struct TickerProcess {
  TickerProcess(const std::string& api_base, const std::string& dir)
      : health_port(FreePort()),
        metrics_port(FreePort()),
        process({HyperfleetBinary(), "ticker",
                 "--api-url",        api_base,
                 "--resource-type",  "clusters",
                 "--poll-interval",  "200ms",
                 "--backoff-base",   "400ms",
                 "--backoff-max",    "2s",
                 "--debounce",       "0s",
                 "--max-age-ready",  "5s",
                 "--health-port",    std::to_string(health_port),
                 "--metrics-port",   std::to_string(metrics_port)},
                {}, dir + "/ticker.log") {}
  int health_port;
  int metrics_port;
  Process process;
};

class TickerE2E : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgres") {
      HF_REQUIRE_ENV(dsn, "HF_TEST_PG_DSN");
    }
    api_ = std::make_unique<ApiServer>(GetParam(), std::vector<std::string>{"--with-outbox"});
    ASSERT_TRUE(api_->error().empty()) << api_->error();
    dir_ = MakeTempDir("ticker-e2e");
  }

  std::string CreateCluster(const std::string& name) {
    auto r =
        api_->Post("/clusters", {{"kind", "Cluster"}, {"name", name}, {"spec", json::object()}});
    EXPECT_EQ(r.status, 201) << r.raw;
    return r.body.value("id", "");
  }

  // The `requested` outbox rows of one cluster, oldest first.
  std::vector<Event> Requested(const std::string& id) {
    auto r = api_->Get("/events?aggregate_id=" + id + "&size=100");
    EXPECT_EQ(r.status, 200) << r.raw;
    std::vector<Event> out;
    for (const auto& e : r.body["items"]) {
      if (e.value("reason", "") != "requested") continue;
      out.push_back({*ParseTime(e["created_time"].get<std::string>()),
                     e["aggregate_generation"].get<int64_t>()});
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.created < b.created; });
    return out;
  }

  std::unique_ptr<ApiServer> api_;
  std::string dir_;
};

TEST_P(TickerE2E, BacksOffResetsOnPatchAndLeavesReconciledAloneUntilMaxAge) {
  TickerProcess ticker(api_->base(), dir_);
  ASSERT_TRUE(WaitForPort(ticker.health_port, seconds(10))) << ticker.process.Log();

  const std::string stuck = CreateCluster("ticker-stuck");
  const std::string done = CreateCluster("ticker-done");
  for (const char* adapter : {"validation", "dns", "placement"}) {
    json report = {{"adapter", adapter},
                   {"observed_generation", 1},
                   {"observed_time", FormatTime(Now())},
                   {"conditions",
                    {{{"type", "Available"}, {"status", "True"}, {"reason", "JobSucceeded"}},
                     {{"type", "Applied"}, {"status", "True"}, {"reason", "JobLaunched"}},
                     {{"type", "Health"}, {"status", "True"}, {"reason", "Healthy"}}}}};
    auto r = api_->Put("/clusters/" + done + "/statuses", report);
    ASSERT_TRUE(r.status == 200 || r.status == 201) << r.raw;
  }
  auto reconciled = api_->Get("/clusters/" + done);
  Time reconciled_at{};
  for (const auto& c : reconciled.body["status"]["conditions"]) {
    if (c["type"] == "Reconciled") {
      ASSERT_EQ(c["status"], "True") << reconciled.raw;
      reconciled_at = *ParseTime(c["last_updated_time"].get<std::string>());
    }
  }
  ASSERT_NE(reconciled_at, Time{}) << reconciled.raw;

  // 1. Adapters never report: requests at growing intervals (0.4 s, 0.8, 1.6, then 2 s cap).
  ASSERT_TRUE(WaitFor([&] { return Requested(stuck).size() >= 5; }, seconds(40)))
      << ticker.process.Log();
  auto events = Requested(stuck);
  std::vector<Duration> gaps;
  for (size_t i = 1; i < events.size(); ++i) {
    gaps.push_back(Between(events[i - 1].created, events[i].created));
  }
  for (auto g : gaps) {
    EXPECT_GE(g, milliseconds(600)) << "a request came sooner than the backoff allows";
  }
  EXPECT_GE(Secs(gaps.back()), 1.5 * Secs(gaps.front())) << "intervals did not grow";
  EXPECT_LE(gaps.back(), seconds(6)) << "interval far above the 2 s cap";

  // 2. A PATCH (new generation) restarts the backoff: the next request comes soon after.
  auto patched = api_->Patch("/clusters/" + stuck, {{"spec", {{"size", 3}}}});
  ASSERT_EQ(patched.status, 200) << patched.raw;
  ASSERT_EQ(patched.body["generation"], 2);
  const Time patched_at = Now();
  auto at_gen2 = [&] {
    std::vector<Event> out;
    for (const auto& e : Requested(stuck)) {
      if (e.generation == 2) out.push_back(e);
    }
    return out;
  };
  ASSERT_TRUE(WaitFor([&] { return at_gen2().size() >= 2; }, seconds(20))) << ticker.process.Log();
  auto gen2 = at_gen2();
  EXPECT_LT(Between(patched_at, gen2[0].created), seconds(2)) << "no prompt request after PATCH";
  EXPECT_LT(Between(gen2[0].created, gen2[1].created),
            Secs(gaps.back()) > 1.9 ? seconds(2) : seconds(3))
      << "the backoff did not restart from the base";

  // 3. The reconciled cluster: nothing until max_age_ready, then one re-check per period.
  ASSERT_TRUE(WaitFor(
      [&] {
        auto e = Requested(done);
        return !e.empty() && e.back().created > reconciled_at;
      },
      kMaxAgeReady + seconds(15)))
      << ticker.process.Log();
  std::vector<Event> rechecks;
  for (const auto& e : Requested(done)) {
    if (e.created > reconciled_at) rechecks.push_back(e);
  }
  ASSERT_FALSE(rechecks.empty());
  EXPECT_GE(Between(reconciled_at, rechecks[0].created), kMaxAgeReady - milliseconds(50));
  for (size_t i = 1; i < rechecks.size(); ++i) {
    EXPECT_GE(Between(rechecks[i - 1].created, rechecks[i].created),
              kMaxAgeReady - milliseconds(50));
  }

  // Health, readiness and metrics of the ticker itself; SIGTERM is a clean exit.
  EXPECT_EQ(HttpStatus(ticker.health_port, "/healthz"), 200);
  EXPECT_EQ(HttpStatus(ticker.health_port, "/readyz"), 200);
  std::string metrics;
  EXPECT_EQ(HttpStatus(ticker.metrics_port, "/metrics", &metrics), 200);
  for (const char* want :
       {"hyperfleet_ticker_events_requested_total{resource_type=\"clusters\",reason=\"not_"
        "reconciled\"}",
        "hyperfleet_ticker_events_requested_total{resource_type=\"clusters\",reason=\"max_age\"}",
        "hyperfleet_ticker_pending_resources", "hyperfleet_ticker_resources_skipped_total",
        "hyperfleet_ticker_poll_duration_seconds_count", "hyperfleet_ticker_api_errors_total",
        "hyperfleet_ticker_last_successful_poll_timestamp_seconds"}) {
    EXPECT_NE(metrics.find(want), std::string::npos) << want << " missing:\n" << metrics;
  }
  EXPECT_EQ(ticker.process.Stop(SIGTERM), 0) << ticker.process.Log();
}

TEST_P(TickerE2E, SurvivesAnApiOutageAndRecovers) {
  TickerProcess ticker(api_->base(), dir_);
  ASSERT_TRUE(WaitForPort(ticker.health_port, seconds(10))) << ticker.process.Log();
  ASSERT_TRUE(
      WaitFor([&] { return HttpStatus(ticker.health_port, "/readyz") == 200; }, seconds(10)));

  api_->process().Stop(SIGTERM);
  ASSERT_TRUE(
      WaitFor([&] { return HttpStatus(ticker.health_port, "/readyz") == 503; }, seconds(10)))
      << ticker.process.Log();
  // Liveness goes stale after 3 × poll_interval without a successful poll; the process stays up.
  ASSERT_TRUE(
      WaitFor([&] { return HttpStatus(ticker.health_port, "/healthz") == 503; }, seconds(10)));
  EXPECT_TRUE(ticker.process.Running());

  ASSERT_TRUE(api_->Restart()) << api_->error();
  EXPECT_TRUE(
      WaitFor([&] { return HttpStatus(ticker.health_port, "/readyz") == 200; }, seconds(30)))
      << ticker.process.Log();
  EXPECT_EQ(HttpStatus(ticker.health_port, "/healthz"), 200);
  std::string metrics;
  HttpStatus(ticker.metrics_port, "/metrics", &metrics);
  EXPECT_EQ(metrics.find("hyperfleet_ticker_api_errors_total{resource_type=\"clusters\"} 0\n"),
            std::string::npos);
  EXPECT_EQ(ticker.process.Stop(SIGTERM), 0) << ticker.process.Log();
}

TEST(TickerCommand, RejectsAnUnknownResourceType) {
  auto r = hf::testing::Run({HyperfleetBinary(), "ticker", "--resource-type", "widgets"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("resource_type must be clusters or nodepools"), std::string::npos)
      << r.output;
}

INSTANTIATE_TEST_SUITE_P(Backends, TickerE2E, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace hf::testing
