// AdapterRuntime::Handle: which events it acts on. The API it would call is a closed loopback
// port, so an event it acts on fails its fetch (transient: Nack), and an event it does not act on
// is acked without calling anything. Jobs that end are counted in the job metrics.
#include "adapter/adapter_runtime.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "broker/open_broker.hpp"
#include "common/http_server.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"
#include "model/cloud_event.hpp"
#include "model/outbox_event.hpp"
#include "testing/env.hpp"

namespace hf::adapter {
namespace {

using namespace std::chrono_literals;

class AdapterRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = hf::testing::MakeTempDir("hf-adapter-runtime");
    broker::BrokerConfig broker_config;
    broker_config.memory_name = "adapter-runtime-test";
    broker_ = *broker::OpenBroker(broker_config);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // An adapter named `name` whose API is unreachable; `preconditions` is YAML (may be empty).
  std::unique_ptr<AdapterRuntime> Runtime(const std::string& name,
                                          const std::string& preconditions) {
    auto config = ParseAdapterConfig("name: " + name +
                                         "\napi:\n  base_url: http://127.0.0.1:1\n  timeout: 2s\n"
                                         "  retry: {attempts: 1}\n" +
                                         preconditions + "job:\n  command: /bin/true\n",
                                     dir_, "test.yaml");
    EXPECT_TRUE(config) << config.error().ToString();
    config->job->runner.local.state_dir = dir_ + "/jobs-" + name;
    auto runtime = AdapterRuntime::Create(std::move(*config), *broker_, stop_);
    EXPECT_TRUE(runtime) << runtime.error().ToString();
    return std::move(*runtime);
  }

  // A cluster event as the API writes it; `adapter` is the reporting adapter ("" for none).
  static broker::Delivery Event(const std::string& reason, const std::string& adapter) {
    model::CloudEvent ce;
    ce.id = "e-1";
    ce.source = "/hyperfleet/api";
    ce.type = "com.redhat.hyperfleet.cluster.changed.v1";
    ce.data = {{"id", "c-1"}, {"kind", "Cluster"}, {"generation", 1}, {"reason", reason}};
    if (!adapter.empty()) ce.data["adapter"] = adapter;
    broker::Delivery d;
    d.message.id = ce.id;
    d.message.body = ce.Encode();
    return d;
  }

  std::string dir_;
  std::shared_ptr<broker::Broker> broker_;
  std::atomic<bool> stop_{false};
};

const std::string kStatus = std::string(model::kStatusChangedReason);
constexpr const char* kAfterValidation =
    "preconditions:\n  - field: status.conditions[type=ValidationSuccessful].status\n"
    "    operator: equals\n    value: \"True\"\n";

TEST_F(AdapterRuntimeTest, IgnoresStatusChangesItsOwnReportCaused) {
  auto dns = Runtime("dns", kAfterValidation);
  EXPECT_EQ(dns->Handle(Event(kStatus, "dns")), broker::HandlerResult::kAck);
  // Anything else about the cluster is acted on (the fetch fails: Nack).
  EXPECT_EQ(dns->Handle(Event(kStatus, "validation")), broker::HandlerResult::kNack);
  EXPECT_EQ(dns->Handle(Event("created", "")), broker::HandlerResult::kNack);
}

TEST_F(AdapterRuntimeTest, WithoutStatusPreconditionsIgnoresOtherAdaptersStatusChanges) {
  auto validation = Runtime("validation", "");
  EXPECT_EQ(validation->Handle(Event(kStatus, "dns")), broker::HandlerResult::kAck);
  // A status change no adapter caused (a deleting cluster's child removed) is acted on.
  EXPECT_EQ(validation->Handle(Event(kStatus, "")), broker::HandlerResult::kNack);
  EXPECT_EQ(validation->Handle(Event("updated", "")), broker::HandlerResult::kNack);
}

TEST_F(AdapterRuntimeTest, ActsOnlyOnTheStatusChangesOfTheAdaptersItNames) {
  auto placement = Runtime(
      "placement", "broker: {status_changes_from: [dns]}\n" + std::string(kAfterValidation));
  EXPECT_EQ(placement->Handle(Event(kStatus, "dns")), broker::HandlerResult::kNack);
  EXPECT_EQ(placement->Handle(Event(kStatus, "validation")), broker::HandlerResult::kAck);
  EXPECT_EQ(placement->Handle(Event(kStatus, "placement")), broker::HandlerResult::kAck);
  // Other events, and a status change no adapter caused, are acted on as before.
  EXPECT_EQ(placement->Handle(Event(kStatus, "")), broker::HandlerResult::kNack);
  EXPECT_EQ(placement->Handle(Event("created", "")), broker::HandlerResult::kNack);
  auto none = Runtime("dns", "broker: {status_changes_from: []}\n" + std::string(kAfterValidation));
  EXPECT_EQ(none->Handle(Event(kStatus, "validation")), broker::HandlerResult::kAck);
}

// The startup line tells an operator whose status changes an adapter acts on.
TEST_F(AdapterRuntimeTest, SaysAtStartWhoseStatusChangesItActsOn) {
  const std::string log_file = dir_ + "/log.json";
  log::SetOutputFile(log_file);
  for (const auto& [name, config] : std::vector<std::pair<std::string, std::string>>{
           {"validation", ""},
           {"dns", kAfterValidation},
           {"placement",
            "broker: {status_changes_from: [dns]}\n" + std::string(kAfterValidation)}}) {
    auto runtime = Runtime(name, config);
    auto started = runtime->Start();
    ASSERT_TRUE(started) << started.error().ToString();
    runtime->Stop();
  }
  std::map<std::string, nlohmann::json> said;
  std::ifstream in(log_file);
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.value("msg", "") == "subscribed") {
      said[j.value("adapter", "")] = j["status_changes_from"];
    }
  }
  EXPECT_EQ(said["validation"], nlohmann::json::array());
  EXPECT_EQ(said["dns"], "any");
  EXPECT_EQ(said["placement"], nlohmann::json::array({"dns"}));
}

// What the fake APIs below listen with: loopback, `threads` handler threads.
http::ServerOptions LoopbackOptions(int threads) {
  http::ServerOptions o;
  o.host = "127.0.0.1";
  o.threads = threads;
  return o;
}

// A fake API whose cluster GETs each wait (up to 20 s) for another GET to be in flight with
// them; PUTs of statuses are stored. Counts the GETs that found no partner.
class PairingApi {
 public:
  PairingApi() : server_(LoopbackOptions(8), [this](const http::Request& r) { return Handle(r); }) {
    EXPECT_TRUE(server_.Start());
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  int puts() const { return puts_; }
  int alone() const { return alone_; }

 private:
  http::Response Handle(const http::Request& r) {
    http::Response res;
    if (r.method == "PUT") {
      ++puts_;
      res.status = 201;
      res.body = "{}";
      return res;
    }
    const std::string id = r.path.substr(r.path.rfind('/') + 1);
    {
      std::unique_lock lock(mu_);
      const uint64_t mine = ++arrived_;
      cv_.notify_all();
      // Paired when another GET arrives after this one or is waiting for this one.
      if (!cv_.wait_for(lock, 20s, [&] { return arrived_ > mine || mine % 2 == 0; })) ++alone_;
    }
    res.body = nlohmann::json({{"id", id}, {"kind", "Cluster"}, {"generation", 1}}).dump();
    return res;
  }

  std::mutex mu_;  // guards arrived_
  std::condition_variable cv_;
  uint64_t arrived_ = 0;
  std::atomic<int> puts_{0};
  std::atomic<int> alone_{0};
  http::Server server_;  // last: its handlers use the members above
};

// hyperfleet_adapter_jobs_finished_total and the count of _job_duration_seconds for one adapter
// and result.
std::pair<double, uint64_t> FinishedJobs(const std::string& adapter, const std::string& result) {
  std::pair<double, uint64_t> out;
  const std::vector<std::string> labels = {adapter, result};
  auto& r = metrics::Registry::Default();
  r.AddCounter("hyperfleet_adapter_jobs_finished_total", "", {"adapter", "result"})
      .ForEach([&](const auto& l, const metrics::Counter& c) {
        if (l == labels) out.first = c.Value();
      });
  r.AddHistogram("hyperfleet_adapter_job_duration_seconds", "", {"adapter", "result"}, {1})
      .ForEach([&](const auto& l, const metrics::Histogram& h) {
        if (l == labels) out.second = h.Read().count;
      });
  return out;
}

TEST_F(AdapterRuntimeTest, ReevaluatesClustersWhoseJobsEndedSideBySide) {
  const auto before = FinishedJobs("validation", "succeeded");
  PairingApi api;
  auto config =
      ParseAdapterConfig("name: validation\napi:\n  base_url: " + api.url() +
                             "\n  timeout: 60s\n  retry: {attempts: 1}\nbroker:\n  parallelism: 2\n"
                             "job:\n  command: /bin/true\n",
                         dir_, "test.yaml");
  ASSERT_TRUE(config) << config.error().ToString();
  config->job->runner.local.state_dir = dir_ + "/jobs";
  auto runtime = AdapterRuntime::Create(std::move(*config), *broker_, stop_);
  ASSERT_TRUE(runtime) << runtime.error().ToString();
  ASSERT_TRUE((*runtime)->Start());
  // Two clusters handled at once start a job each; when the jobs end, both are handled again,
  // and their GETs must be in flight together.
  std::thread other([&] { EXPECT_EQ((*runtime)->Reconcile("c-2"), Outcome::kReported); });
  EXPECT_EQ((*runtime)->Reconcile("c-1"), Outcome::kReported);
  other.join();
  // A bound for a hung test: a lone re-evaluation waits 20 s for its partner before it goes on.
  for (auto deadline = std::chrono::steady_clock::now() + 60s;
       api.puts() < 4 && std::chrono::steady_clock::now() < deadline;) {
    std::this_thread::sleep_for(10ms);
  }
  (*runtime)->Stop();
  EXPECT_EQ(api.puts(), 4);
  EXPECT_EQ(api.alone(), 0);
  // Both jobs were counted as they ended, with their durations.
  const auto after = FinishedJobs("validation", "succeeded");
  EXPECT_EQ(after.first, before.first + 2);
  EXPECT_EQ(after.second, before.second + 2);
  EXPECT_EQ(FinishedJobs("validation", "failed").first, 0);
}

// A fake API that serves every cluster at a settable event_sequence and stores status PUTs, or
// answers them 503 while `fail_puts` is set. Counts the requests.
class SequenceApi {
 public:
  SequenceApi()
      : server_(LoopbackOptions(2), [this](const http::Request& r) { return Handle(r); }) {
    EXPECT_TRUE(server_.Start());
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  std::atomic<int64_t> sequence{0};
  std::atomic<bool> fail_puts{false};
  std::atomic<bool> validation_true{false};  // the cluster's ValidationSuccessful (at generation 1)
  std::atomic<int> gets{0};
  std::atomic<int> puts{0};

 private:
  http::Response Handle(const http::Request& r) {
    http::Response res;
    if (r.method == "PUT") {
      ++puts;
      res.status = fail_puts ? 503 : 201;
      res.body = "{}";
      return res;
    }
    ++gets;
    const std::string id = r.path.substr(r.path.rfind('/') + 1);
    res.body = nlohmann::json({{"id", id},
                               {"kind", "Cluster"},
                               {"generation", 1},
                               {"event_sequence", sequence.load()},
                               {"status",
                                {{"conditions",
                                  {{{"type", "ValidationSuccessful"},
                                    {"status", validation_true ? "True" : "False"},
                                    {"observed_generation", 1}}}}}}})
                   .dump();
    return res;
  }

  http::Server server_;
};

TEST_F(AdapterRuntimeTest, SkipsEventsAFinishedReconcileAlreadySaw) {
  SequenceApi api;
  auto config = ParseAdapterConfig("name: validation\napi:\n  base_url: " + api.url() +
                                       "\n  timeout: 10s\n  retry: {attempts: 1}\n"
                                       "job:\n  command: /bin/true\n",
                                   dir_, "test.yaml");
  ASSERT_TRUE(config) << config.error().ToString();
  config->job->runner.local.state_dir = dir_ + "/jobs";
  auto runtime = *AdapterRuntime::Create(std::move(*config), *broker_, stop_);
  // Not started: a job's end queues a re-evaluation that nothing runs, so the counts below are
  // the events' alone.
  const auto event = [](const std::string& id, std::optional<int64_t> sequence) {
    broker::Delivery d = Event("created", "");
    auto ce = *model::CloudEvent::Decode(d.message.body);
    ce.data["id"] = id;
    d.message.body = ce.Encode();
    if (sequence) {
      d.message.attributes[std::string(model::kAggregateSequenceAttribute)] =
          std::to_string(*sequence);
    }
    return d;
  };
  api.sequence = 3;
  EXPECT_EQ(runtime->Handle(event("c-1", 2)), broker::HandlerResult::kAck);
  EXPECT_EQ(api.gets, 1) << "nothing seen yet: acted on";
  // Its read saw event 3: events 1..3 of c-1 are acked without a call.
  EXPECT_EQ(runtime->Handle(event("c-1", 3)), broker::HandlerResult::kAck);
  EXPECT_EQ(runtime->Handle(event("c-1", 1)), broker::HandlerResult::kAck);
  EXPECT_EQ(api.gets, 1);
  EXPECT_EQ(api.puts, 1);
  // A later event, one without a number, and another cluster's event are acted on.
  api.sequence = 5;
  EXPECT_EQ(runtime->Handle(event("c-1", 4)), broker::HandlerResult::kAck);
  EXPECT_EQ(api.gets, 2);
  EXPECT_EQ(runtime->Handle(event("c-1", std::nullopt)), broker::HandlerResult::kAck);
  EXPECT_EQ(api.gets, 3);
  EXPECT_EQ(runtime->Handle(event("c-2", 1)), broker::HandlerResult::kAck);
  EXPECT_EQ(api.gets, 4);
  // A reconcile that did not finish (its report failed: nack) remembers nothing: the
  // redelivery is acted on.
  api.fail_puts = true;
  EXPECT_EQ(runtime->Handle(event("c-3", 1)), broker::HandlerResult::kNack);
  api.fail_puts = false;
  EXPECT_EQ(runtime->Handle(event("c-3", 1)), broker::HandlerResult::kAck);
  EXPECT_EQ(api.gets, 6);
  EXPECT_EQ(runtime->Handle(event("c-3", 1)), broker::HandlerResult::kAck);
  EXPECT_EQ(api.gets, 6) << "now seen";
}

// On another adapter's status change, the report the API already holds is not sent again; any
// other event sends it, and so does a change of what the API holds (another replica's report).
TEST_F(AdapterRuntimeTest, DoesNotResendTheReportTheApiHoldsOnAStatusChange) {
  SequenceApi api;
  auto config = ParseAdapterConfig("name: validation\napi:\n  base_url: " + api.url() +
                                       "\n  timeout: 10s\n  retry: {attempts: 1}\n"
                                       "preconditions:\n  - field: spec.region\n"
                                       "    operator: equals\n    value: eu\n"
                                       "job:\n  command: /bin/true\n",
                                   dir_, "test.yaml");
  ASSERT_TRUE(config) << config.error().ToString();
  config->job->runner.local.state_dir = dir_ + "/jobs";
  auto runtime = *AdapterRuntime::Create(std::move(*config), *broker_, stop_);
  const auto event = [](const std::string& reason) {
    return nlohmann::json{{"id", "c-1"}, {"kind", "Cluster"}, {"reason", reason}};
  };
  // Preconditions not met: Available=False, as the cluster's ValidationSuccessful shows.
  EXPECT_EQ(runtime->Reconcile("c-1", event("created")), Outcome::kReported);
  EXPECT_EQ(api.puts, 1);
  EXPECT_EQ(runtime->Reconcile("c-1", event(kStatus)), Outcome::kReported);
  EXPECT_EQ(api.gets, 2);
  EXPECT_EQ(api.puts, 1) << "the API holds this report";
  EXPECT_EQ(runtime->Reconcile("c-1", event("not_reconciled")), Outcome::kReported);
  EXPECT_EQ(runtime->Reconcile("c-1"), Outcome::kReported);  // a re-evaluation
  EXPECT_EQ(api.puts, 3) << "other events report whatever the API holds";
  api.validation_true = true;  // not what this adapter reported
  EXPECT_EQ(runtime->Reconcile("c-1", event(kStatus)), Outcome::kReported);
  EXPECT_EQ(api.puts, 4);
  // Nothing is known of another cluster: its first report is sent on any event.
  api.validation_true = false;
  EXPECT_EQ(runtime->Reconcile("c-2", event(kStatus)), Outcome::kReported);
  EXPECT_EQ(api.puts, 5);
}

TEST(ReadsStatusTest, FieldOrValueFromUnderStatus) {
  auto check = [](const char* field, std::string_view value_from = "") {
    auto p = MakePrecondition(field, "equals", value_from.empty() ? nlohmann::json("x") : nullptr,
                              value_from);
    if (!p) {
      ADD_FAILURE() << p.error().ToString();
      return false;
    }
    return ReadsStatus(std::vector<Precondition>{*p});
  };
  EXPECT_TRUE(check("status.conditions[type=DnsSuccessful].status"));
  EXPECT_TRUE(check("spec.region", "status.conditions[type=Reconciled].status"));
  EXPECT_FALSE(check("spec.region"));
  EXPECT_FALSE(check("statuses.x"));
  EXPECT_FALSE(ReadsStatus(std::vector<Precondition>{}));
}

}  // namespace
}  // namespace hf::adapter
