// The adapter runtime with the Kubernetes runner: a stub HyperFleet API (common http::Server), an
// in-process broker and FakeKubeApi. Jobs become Kubernetes Jobs, a Job finishing re-evaluates
// its cluster at once, and API-server refusals become Health=False reports.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "adapter/adapter_config.hpp"
#include "adapter/adapter_runtime.hpp"
#include "broker/memory/memory_broker.hpp"
#include "common/http_client.hpp"
#include "common/http_server.hpp"
#include "model/cloud_event.hpp"
#include "testing/env.hpp"
#include "testing/fake_kube_api.hpp"

namespace hf::adapter {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

class AdapterKubernetesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = hf::testing::MakeTempDir("hf-adapter-k8s");
    http::ServerOptions options;
    options.host = "127.0.0.1";
    options.threads = 2;
    api_ = std::make_unique<http::Server>(options,
                                          [this](const http::Request& r) { return Serve(r); });
    ASSERT_TRUE(api_->Start());
    std::ofstream(dir_ + "/kubeconfig") << hf::testing::FakeKubeApi::Kubeconfig(kube_.url(), "hf");
  }
  void TearDown() override {
    runtime_.reset();
    api_->Stop(std::chrono::milliseconds(100));
    std::filesystem::remove_all(dir_);
  }

  http::Response Serve(const http::Request& r) {
    const std::string prefix = "/api/hyperfleet/v1/clusters/";
    if (r.path.rfind(prefix, 0) != 0) return {404, "application/json", "{}", {}};
    std::string rest = r.path.substr(prefix.size());
    if (r.method == "GET" && rest.find('/') == std::string::npos) {
      json cluster = {{"id", rest},
                      {"kind", "Cluster"},
                      {"generation", 2},
                      {"spec", json::object()},
                      {"status", {{"conditions", json::array()}}}};
      return {200, "application/json", cluster.dump(), {}};
    }
    if (r.method == "GET" && rest.ends_with("/statuses")) {  // the last report, as stored
      std::lock_guard lock(mu_);
      const auto& reports = reports_[rest.substr(0, rest.find('/'))];
      json items = reports.empty() ? json::array() : json::array({reports.back()});
      return {200, "application/json", json({{"items", items}}).dump(), {}};
    }
    if (r.method == "PUT" && rest.ends_with("/statuses")) {
      std::lock_guard lock(mu_);
      traceparents_.push_back(r.Header("traceparent"));
      reports_[rest.substr(0, rest.find('/'))].push_back(json::parse(r.body));
      return {201, "application/json", r.body, {}};
    }
    return {404, "application/json", "{}", {}};
  }

  // The condition `type` of the last report about `cluster`, or null.
  json LastCondition(const std::string& cluster, const std::string& type) {
    std::lock_guard lock(mu_);
    if (reports_[cluster].empty()) return nullptr;
    for (const auto& c : reports_[cluster].back()["conditions"]) {
      if (c["type"] == type) return c;
    }
    return nullptr;
  }

  void Open() {
    auto config = ParseAdapterConfig(R"(
name: validation
job:
  runner: kubernetes
  name_template: "validation-{{cluster_id}}-{{generation}}"
  timeout: 1m
  kubernetes:
    image: hyperfleet:latest
    command: [/usr/share/hyperfleet/jobs/validation.sh]
    kubeconfig: kubeconfig
)",
                                     dir_, "validation.yaml");
    ASSERT_TRUE(config) << config.error().message;
    config->api.base_url = "http://127.0.0.1:" + std::to_string(api_->port());
    config->api.retry.attempts = 1;
    broker_ = broker::OpenMemoryBroker("adapter-kubernetes-test");
    auto runtime = AdapterRuntime::Create(std::move(*config), *broker_, stop_);
    ASSERT_TRUE(runtime) << runtime.error().ToString();
    runtime_ = std::move(*runtime);
    ASSERT_TRUE(runtime_->Start());
  }

  template <typename F>
  bool Eventually(F done) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return done();
  }

  std::string dir_;
  hf::testing::FakeKubeApi kube_;
  std::unique_ptr<http::Server> api_;
  std::shared_ptr<broker::Broker> broker_;
  std::atomic<bool> stop_{false};
  std::unique_ptr<AdapterRuntime> runtime_;
  std::mutex mu_;
  std::map<std::string, std::vector<json>> reports_;  // guarded by mu_
  std::vector<std::string> traceparents_;             // of every status report; guarded by mu_
};

TEST_F(AdapterKubernetesTest, RunsTheJobAsAKubernetesJobAndReportsItsCompletionAtOnce) {
  Open();
  ASSERT_EQ(runtime_->Reconcile("c1"), Outcome::kReported);
  auto job = kube_.Job("hf", "validation-c1-2");
  ASSERT_TRUE(job) << "the kubeconfig context's namespace is used";
  EXPECT_EQ((*job)["metadata"]["labels"]["hyperfleet.io/adapter"], "validation");
  EXPECT_EQ(LastCondition("c1", "Available")["reason"], "JobRunning");

  kube_.MarkComplete("hf", "validation-c1-2",
                     R"({"status":"success","reason":"ClusterValid","message":"spec is valid"})");
  // No event arrives: the watch alone makes the adapter report again.
  ASSERT_TRUE(Eventually([&] { return LastCondition("c1", "Available")["status"] == "True"; }));
  EXPECT_EQ(LastCondition("c1", "Available")["reason"], "JobSucceeded");
  EXPECT_EQ(LastCondition("c1", "Available")["message"], "spec is valid");
  EXPECT_EQ(kube_.JobCount(), 1u);
}

// ttlSecondsAfterFinished deletes a finished Job; a later event for the same generation must not
// run it again: the adapter's own last report holds the outcome.
TEST_F(AdapterKubernetesTest, AJobCleanedUpAfterItsOutcomeWasReportedDoesNotRunAgain) {
  Open();
  ASSERT_EQ(runtime_->Reconcile("c1"), Outcome::kReported);
  kube_.MarkComplete("hf", "validation-c1-2",
                     R"({"status":"success","reason":"ClusterValid","message":"spec is valid"})");
  ASSERT_TRUE(Eventually([&] { return LastCondition("c1", "Available")["status"] == "True"; }));
  HttpRequest ttl;  // what the TTL controller does
  ttl.method = "DELETE";
  ttl.url = kube_.url() + "/apis/batch/v1/namespaces/hf/jobs/validation-c1-2";
  ttl.headers = {{"Authorization", "Bearer test-token"}};
  auto deleted = HttpClient().Send(ttl);
  ASSERT_TRUE(deleted && deleted->status == 200) << (deleted ? deleted->body : "");
  ASSERT_EQ(kube_.JobCount(), 0u);
  size_t reports = 0;
  {
    std::lock_guard lock(mu_);
    reports = reports_["c1"].size();
  }

  EXPECT_EQ(runtime_->Reconcile("c1"), Outcome::kReported);
  EXPECT_EQ(kube_.JobCount(), 0u) << "the job ran again";
  {
    std::lock_guard lock(mu_);
    EXPECT_EQ(reports_["c1"].size(), reports) << "nothing new to report";
    reports_["c1"].clear();  // no outcome on record: the job is created
  }
  EXPECT_EQ(runtime_->Reconcile("c1"), Outcome::kReported);
  EXPECT_EQ(kube_.JobCount(), 1u);
}

TEST_F(AdapterKubernetesTest, StatusReportsContinueTheTraceOfTheirEvent) {
  Open();
  model::CloudEvent event;
  event.id = "e-1";
  event.source = "/hyperfleet/api";
  event.type = "com.redhat.hyperfleet.cluster.changed.v1";
  event.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  event.data = {{"id", "c7"}, {"kind", "Cluster"}, {"generation", 2}};
  auto publisher = broker_->NewPublisher();
  ASSERT_TRUE(publisher);
  auto sent =
      (*publisher)->Publish("hyperfleet.clusters.changed.v1", {{event.id, event.Encode(), {}}});
  ASSERT_TRUE(sent.at(0)) << sent.at(0).error().ToString();
  ASSERT_TRUE(Eventually([&] { return !LastCondition("c7", "Available").is_null(); }));
  std::lock_guard lock(mu_);
  ASSERT_FALSE(traceparents_.empty());
  EXPECT_EQ(traceparents_.front(), event.traceparent);
}

TEST_F(AdapterKubernetesTest, RefusalsAreReportedAsHealthFalseAndOutagesNacked) {
  Open();
  kube_.FailNext("GET /apis/batch/v1/namespaces/hf/jobs/validation-c2-2", 403,
                 "jobs.batch \"validation-c2-2\" is forbidden: User "
                 "\"system:serviceaccount:hf:adapter\" cannot get resource \"jobs\"");
  EXPECT_EQ(runtime_->Reconcile("c2"), Outcome::kTerminal);
  json health = LastCondition("c2", "Health");
  ASSERT_FALSE(health.is_null());
  EXPECT_EQ(health["status"], "False");
  EXPECT_EQ(health["reason"], "ExecutionFailed:job");
  EXPECT_NE(health["message"].get<std::string>().find("cannot get resource \"jobs\""),
            std::string::npos)
      << health;

  kube_.FailNext("POST /apis/batch/v1/namespaces/hf/jobs", 503, "etcd leader changed");
  EXPECT_EQ(runtime_->Reconcile("c3"), Outcome::kTransient);
  EXPECT_EQ(runtime_->Reconcile("c3"), Outcome::kReported) << "fine once the API server is";
}

}  // namespace
}  // namespace hf::adapter
