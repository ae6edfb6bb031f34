// The real `hyperfleet adapter` processes against the real API (SQLite, --with-outbox) over the
// Pub/Sub emulator, running the shipped job scripts.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "common/http_client.hpp"
#include "common/time.hpp"
#include "testing/api_server.hpp"
#include "testing/env.hpp"

namespace hf::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const std::string kTopic = "hyperfleet.clusters.changed.v1";

// Polls `check` until it holds or `timeout` passes.
bool Eventually(const std::function<bool()>& check, std::chrono::milliseconds timeout = 60s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (check()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return check();
}

std::string Base64(const std::string& in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<uint8_t>(in[i + 1]) << 8;
    if (i + 2 < in.size()) n |= static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[n & 63] : '=';
  }
  return out;
}

// One `hyperfleet adapter` process with a config written by the test.
class Adapter {
 public:
  Adapter(const std::string& dir, const std::string& name, const std::string& yaml)
      : dir_(dir), name_(name) {
    config_ = dir + "/" + name + ".yaml";
    std::ofstream(config_) << yaml;
    Start();
  }

  void Start() {
    health_port_ = FreePort();
    metrics_port_ = FreePort();
    process_ = std::make_unique<Process>(
        std::vector<std::string>{HyperfleetBinary(), "adapter", "--config", config_,
                                 "--health-port", std::to_string(health_port_), "--metrics-port",
                                 std::to_string(metrics_port_)},
        std::map<std::string, std::string>{}, dir_ + "/" + name_ + ".log");
  }
  void Kill() { process_.reset(); }

  bool WaitReady() {
    return Eventually(
        [&] {
          HttpRequest r;
          r.url = "http://127.0.0.1:" + std::to_string(health_port_) + "/readyz";
          r.timeout = 3s;
          auto res = http_.Send(r);
          return res && res->status == 200;
        },
        30s);
  }

  // The sum of the samples of a metric whose line starts with `prefix`.
  double Metric(const std::string& prefix) {
    HttpRequest r;
    r.url = "http://127.0.0.1:" + std::to_string(metrics_port_) + "/metrics";
    auto res = http_.Send(r);
    if (!res) return -1;
    double sum = 0;
    std::istringstream lines(res->body);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(prefix, 0) == 0) sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
    return sum;
  }

  std::string Log() const { return process_ ? process_->Log() : ""; }
  std::string state_dir() const { return dir_ + "/state/" + name_; }

 private:
  std::string dir_, name_, config_;
  int health_port_ = 0, metrics_port_ = 0;
  std::unique_ptr<Process> process_;
  HttpClient http_;
};

class AdapterE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    HF_REQUIRE_ENV(emulator, "HF_TEST_PUBSUB_EMULATOR_HOST");
    emulator_ = emulator;
    ::setenv("PUBSUB_EMULATOR_HOST", emulator_.c_str(), 1);
    dir_ = MakeTempDir("hf-adapter-e2e");
    // A project per test keeps topics and subscriptions apart.
    project_ = "hf-adapter-" + std::to_string(::getpid()) + "-" + std::to_string(++counter_);
  }
  void TearDown() override {
    adapters_.clear();
    api_.reset();
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  void StartApi(std::map<std::string, std::string> env = {}) {
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    api_ = std::make_unique<ApiServer>(
        "sqlite", std::vector<std::string>{"--with-outbox", "--broker", "googlepubsub",
                                           "--pubsub-project", project_});
    for (const auto& [k, v] : env) ::unsetenv(k.c_str());
    ASSERT_TRUE(api_->error().empty()) << api_->error();
  }

  std::string Yaml(const std::string& name, const std::string& preconditions,
                   const std::string& env) {
    return "name: " + name + "\n" + "api: {base_url: \"" + api_->base() +
           "\", timeout: 5s,\n"
           "      retry: {attempts: 3, backoff_base: 100ms, backoff_max: 500ms}}\n"
           "broker: {type: googlepubsub, pubsub_project: " +
           project_ + ", parallelism: 4}\n" + preconditions +
           "job:\n"
           "  command: " +
           ::hf::testing::SourceDir() + "/deploy/adapters/jobs/" + name +
           ".sh\n"
           "  env: {" +
           env +
           "}\n"
           "  timeout: 1m\n"
           "  state_dir: " +
           dir_ + "/state/" + name + "\n";
  }

  Adapter& StartAdapter(const std::string& name, const std::string& preconditions = "",
                        const std::string& env = "JOB_DURATION: \"0.2\"") {
    adapters_.push_back(std::make_unique<Adapter>(dir_, name, Yaml(name, preconditions, env)));
    EXPECT_TRUE(adapters_.back()->WaitReady()) << adapters_.back()->Log();
    return *adapters_.back();
  }

  static std::string Needs(const std::string& condition) {
    return "preconditions:\n  - {field: \"status.conditions[type=" + condition +
           "].status\", operator: equals, value: \"True\"}\n";
  }

  std::string CreateCluster(json spec = json::object()) {
    static int n = 0;
    auto r = api_->Post("/clusters", {{"kind", "Cluster"},
                                      {"name", "ad-" + std::to_string(::getpid() % 10000) + "-" +
                                                   std::to_string(++n)},
                                      {"spec", spec}});
    EXPECT_EQ(r.status, 201) << r.raw;
    return r.body.value("id", "");
  }

  // The adapter's status entry for a cluster, or null.
  json Status(const std::string& cluster, const std::string& adapter) {
    auto r = api_->Get("/clusters/" + cluster + "/statuses");
    if (r.status != 200) return nullptr;
    for (const auto& item : r.body["items"]) {
      if (item["adapter"] == adapter) return item;
    }
    return nullptr;
  }
  static json Cond(const json& entry, const std::string& type) {
    if (entry.is_null()) return nullptr;
    for (const auto& c : entry["conditions"]) {
      if (c["type"] == type) return c;
    }
    return nullptr;
  }
  // Waits until the adapter reports `type` with `status` (and `reason` if given).
  json WaitFor(const std::string& cluster, const std::string& adapter, const std::string& type,
               const std::string& status, const std::string& reason = "") {
    json found;
    bool ok = Eventually([&] {
      found = Status(cluster, adapter);
      json c = Cond(found, type);
      return !c.is_null() && c["status"] == status && (reason.empty() || c["reason"] == reason);
    });
    EXPECT_TRUE(ok) << adapter << " never reported " << type << "=" << status << " " << reason
                    << "; last: " << found.dump();
    return found;
  }
  json ClusterCondition(const std::string& cluster, const std::string& type) {
    auto r = api_->Get("/clusters/" + cluster);
    for (const auto& c : r.body["status"]["conditions"]) {
      if (c["type"] == type) return c;
    }
    return nullptr;
  }

  // Job directories of one adapter.
  int JobCount(const std::string& adapter) {
    int n = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir_ + "/state/" + adapter, ec)) {
      if (e.is_directory() && e.path().filename().string()[0] != '.') ++n;  // .claim-*: not jobs
    }
    return n;
  }

  static inline int counter_ = 0;
  std::string emulator_, dir_, project_;
  std::unique_ptr<ApiServer> api_;
  std::vector<std::unique_ptr<Adapter>> adapters_;
};

TEST_F(AdapterE2E, ChainOfThreeAdaptersReconcilesTheCluster) {
  StartApi();
  StartAdapter("validation");
  StartAdapter("dns", Needs("ValidationSuccessful"));
  StartAdapter("placement", Needs("DnsSuccessful"));
  std::string id = CreateCluster();
  ASSERT_TRUE(Eventually([&] {
    json c = ClusterCondition(id, "Reconciled");
    return !c.is_null() && c["status"] == "True";
  })) << api_->Get("/clusters/" + id).raw;
  for (const char* name : {"validation", "dns", "placement"}) {
    json s = Status(id, name);
    EXPECT_EQ(Cond(s, "Available")["reason"], "JobSucceeded") << s.dump();
    EXPECT_EQ(Cond(s, "Applied")["reason"], "JobLaunched") << s.dump();
    EXPECT_EQ(Cond(s, "Health")["status"], "True") << s.dump();
    EXPECT_EQ(s["observed_generation"], 1);
    EXPECT_EQ(s["metadata"]["job_name"], std::string(name) + "-" + id + "-1") << s.dump();
    EXPECT_EQ(JobCount(name), 1);
  }
}

TEST_F(AdapterE2E, UnmetPreconditionIsReported) {
  StartApi();
  StartAdapter("dns", Needs("ValidationSuccessful"));
  std::string id = CreateCluster();
  json s = WaitFor(id, "dns", "Applied", "False", "PreconditionsNotMet");
  EXPECT_EQ(Cond(s, "Available")["status"], "False");
  EXPECT_EQ(Cond(s, "Health")["status"], "True");
  EXPECT_NE(Cond(s, "Applied")["message"].get<std::string>().find("ValidationSuccessful"),
            std::string::npos);
  EXPECT_EQ(JobCount("dns"), 0);
}

TEST_F(AdapterE2E, FailingJobIsReportedWithItsReason) {
  StartApi();
  StartAdapter("validation");
  std::string id = CreateCluster({{"fail_validation", true}});
  json s = WaitFor(id, "validation", "Available", "False", "JobFailed");
  std::string message = Cond(s, "Available")["message"];
  EXPECT_NE(message.find("ClusterInvalid"), std::string::npos) << message;
  EXPECT_EQ(s["data"]["job"]["reason"], "ClusterInvalid") << s.dump();
  EXPECT_EQ(Cond(s, "Health")["status"], "True");
}

TEST_F(AdapterE2E, DuplicateEventsStartOneJob) {
  StartApi();
  Adapter& validation = StartAdapter("validation", "", "JOB_DURATION: \"1\"");
  std::string id = CreateCluster();
  // More events for the same generation while the job runs and after it finished.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(api_->Post("/events", {{"aggregate_type", "Cluster"}, {"aggregate_id", id}}).status,
              202);
    std::this_thread::sleep_for(300ms);
  }
  WaitFor(id, "validation", "Available", "True", "JobSucceeded");
  EXPECT_EQ(api_->Post("/events", {{"aggregate_type", "Cluster"}, {"aggregate_id", id}}).status,
            202);
  EXPECT_TRUE(Eventually([&] {
    return validation.Metric("hyperfleet_adapter_events_processed_total") >= 3;
  })) << validation.Log();
  EXPECT_EQ(validation.Metric("hyperfleet_adapter_jobs_created_total"), 1);
  EXPECT_EQ(JobCount("validation"), 1);
  std::ifstream log(validation.state_dir() + "/validation-" + id + "-1/log");
  int runs = 0;
  for (std::string line; std::getline(log, line);) runs += line.find("validation: done") == 0;
  EXPECT_EQ(runs, 1);
}

TEST_F(AdapterE2E, RestartedAdapterFindsTheRunningJob) {
  StartApi();
  Adapter& validation = StartAdapter("validation", "", "JOB_DURATION: \"3\"");
  std::string id = CreateCluster();
  WaitFor(id, "validation", "Available", "False", "JobRunning");
  validation.Kill();  // SIGTERM; the job keeps running in its own process group
  validation.Start();
  ASSERT_TRUE(validation.WaitReady()) << validation.Log();
  // Nothing new is published: the restarted adapter adopts the job and reports when it ends.
  WaitFor(id, "validation", "Available", "True", "JobSucceeded");
  EXPECT_EQ(validation.Metric("hyperfleet_adapter_jobs_created_total"), 0) << validation.Log();
  EXPECT_EQ(JobCount("validation"), 1);
}

TEST_F(AdapterE2E, ApiDownMeansNackThenSuccess) {
  StartApi();
  Adapter& validation = StartAdapter("validation");
  std::string id = CreateCluster();
  WaitFor(id, "validation", "Available", "True", "JobSucceeded");
  double successes = validation.Metric(
      "hyperfleet_adapter_events_processed_total{adapter=\"validation\",status=\"success\"}");

  ASSERT_EQ(api_->process().Stop(SIGTERM), 0);
  // An event reaches the adapter while the API is down (published straight to the topic).
  json event = {{"specversion", "1.0"},
                {"id", "manual-" + id},
                {"source", "/test"},
                {"type", "com.redhat.hyperfleet.cluster.changed.v1"},
                {"subject", id},
                {"time", FormatTime(Now())},
                {"datacontenttype", "application/json"},
                {"data",
                 {{"id", id},
                  {"kind", "Cluster"},
                  {"generation", 1},
                  {"href", "/api/hyperfleet/v1/clusters/" + id},
                  {"reason", "requested"}}}};
  HttpRequest publish;
  publish.method = "POST";
  publish.url =
      "http://" + emulator_ + "/v1/projects/" + project_ + "/topics/" + kTopic + ":publish";
  publish.headers = {{"Content-Type", "application/json"}};
  publish.body = json{{"messages", {{{"data", Base64(event.dump())}}}}}.dump();
  auto published = HttpClient().Send(publish);
  ASSERT_TRUE(published && published->status == 200)
      << (published ? published->body : published.error().ToString());

  EXPECT_TRUE(
      Eventually([&] { return validation.Metric("hyperfleet_adapter_nacks_total") >= 1; }, 30s))
      << validation.Log();
  ASSERT_TRUE(api_->Restart()) << api_->error();
  EXPECT_TRUE(Eventually([&] {
    return validation.Metric(
               "hyperfleet_adapter_events_processed_total{adapter=\"validation\",status="
               "\"success\"}") > successes;
  })) << validation.Log();
  EXPECT_EQ(validation.Metric("hyperfleet_adapter_jobs_created_total"), 1);
}

TEST_F(AdapterE2E, FailingNonRequiredAdapterDoesNotBlockReconciled) {
  // dns may report (an optional adapter) but Reconciled does not wait for it.
  StartApi({{"HYPERFLEET_CLUSTER_ADAPTERS", "validation"},
            {"HYPERFLEET_CLUSTER_OPTIONAL_ADAPTERS", "dns"}});
  StartAdapter("validation");
  StartAdapter("dns", Needs("ValidationSuccessful"), "JOB_DURATION: \"0.2\", FAIL: \"1\"");
  std::string id = CreateCluster();
  WaitFor(id, "dns", "Available", "False", "JobFailed");
  EXPECT_TRUE(Eventually([&] {
    json c = ClusterCondition(id, "Reconciled");
    return !c.is_null() && c["status"] == "True";
  })) << api_->Get("/clusters/" + id).raw;
}

TEST_F(AdapterE2E, DeletedClusterIsFinalized) {
  StartApi();
  StartAdapter("validation");
  StartAdapter("dns", Needs("ValidationSuccessful"));
  StartAdapter("placement", Needs("DnsSuccessful"));
  std::string id = CreateCluster();
  ASSERT_TRUE(Eventually([&] {
    json c = ClusterCondition(id, "Reconciled");
    return !c.is_null() && c["status"] == "True";
  }));
  EXPECT_EQ(api_->Delete("/clusters/" + id).status, 202);
  // Every required adapter reports Finalized=True, so the API removes the cluster.
  EXPECT_TRUE(Eventually([&] { return api_->Get("/clusters/" + id).status == 404; }))
      << api_->Get("/clusters/" + id + "/statuses").raw;
  EXPECT_EQ(JobCount("validation"), 0);
}

}  // namespace
}  // namespace hf::testing
