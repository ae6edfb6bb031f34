// The adapter runtime managing Kubernetes objects (config `resources`): a stub HyperFleet API
// (common http::Server), an in-process broker and FakeKubeApi's generic objects. Objects are
// created, updated and left alone by server-side apply, their status drives Available, an apply
// conflict is reported, and finalize waits until every object is gone.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "adapter/adapter_config.hpp"
#include "adapter/adapter_runtime.hpp"
#include "broker/memory/memory_broker.hpp"
#include "common/http_server.hpp"
#include "jobs/kubernetes/kube_objects.hpp"
#include "model/cloud_event.hpp"
#include "testing/env.hpp"
#include "testing/fake_kube_api.hpp"

namespace hf::adapter {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace kube = jobs::kube;

// A namespace per cluster, a ConfigMap in it, and a Deployment found by its label; Available
// when the namespace is Active and the Deployment has its replicas ready.
constexpr const char* kConfig = R"yaml(
name: workload
kubernetes:
  kubeconfig: kubeconfig
params:
  - {name: replicas, resource: spec.replicas, default: 1}
preconditions:
  - {name: notPaused, expression: "!resource.spec.?paused.orValue(false)"}
resources:
  - name: namespace
    manifest:
      apiVersion: v1
      kind: Namespace
      metadata:
        name: "cluster-{{ cluster_id }}"
  - name: settings
    manifest:
      apiVersion: v1
      kind: ConfigMap
      metadata:
        name: settings
        namespace: "cluster-{{ cluster_id }}"
      data:
        region: "{{ resource.spec.region }}"
  - name: deployment
    manifest_file: deployment.yaml
    discovery:
      namespace: "cluster-{{ cluster_id }}"
      by_selector:
        app: agent
status:
  conditions:
    - type: Available
      status: >-
        resources.?namespace.?status.?phase.orValue('') == 'Active' &&
        resources.?deployment.?status.?readyReplicas.orValue(0) == replicas
      reason: >-
        resources.?deployment.?status.?readyReplicas.orValue(0) == replicas
        ? 'AgentReady' : 'AgentStarting'
)yaml";

class AdapterResourcesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = hf::testing::MakeTempDir("hf-adapter-resources");
    http::ServerOptions options;
    options.host = "127.0.0.1";
    options.threads = 2;
    api_ = std::make_unique<http::Server>(options,
                                          [this](const http::Request& r) { return Serve(r); });
    ASSERT_TRUE(api_->Start());
    std::ofstream(dir_ + "/kubeconfig") << hf::testing::FakeKubeApi::Kubeconfig(kube_.url());
    std::ofstream(dir_ + "/deployment.yaml") << R"(
apiVersion: apps/v1
kind: Deployment
metadata:
  name: agent
  namespace: "cluster-{{ cluster_id }}"
  labels: {app: agent}
spec:
  replicas: "{{ replicas }}"
  template:
    spec:
      containers: [{name: agent, image: "agent:{{ generation }}"}]
)";
    kube::KubeConnection connection;
    connection.server = kube_.url();
    connection.token = "test-token";
    client_ = std::make_unique<kube::KubeClient>(connection);
    objects_ = std::make_unique<kube::KubeObjects>(*client_);
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
    std::lock_guard lock(mu_);
    if (r.method == "GET" && rest.find('/') == std::string::npos) {
      if (!clusters_.contains(rest)) return {404, "application/json", "{}", {}};
      return {200, "application/json", clusters_[rest].dump(), {}};
    }
    if (r.method == "PUT" && rest.ends_with("/statuses")) {
      reports_[rest.substr(0, rest.find('/'))].push_back(json::parse(r.body));
      return {201, "application/json", r.body, {}};
    }
    return {404, "application/json", "{}", {}};
  }

  void SetCluster(const std::string& id, int generation, json spec, bool deleted = false) {
    std::lock_guard lock(mu_);
    clusters_[id] = {{"id", id},
                     {"kind", "Cluster"},
                     {"generation", generation},
                     {"spec", spec},
                     {"status", {{"conditions", json::array()}}}};
    if (deleted) clusters_[id]["deleted_time"] = "2026-12-05T10:00:00Z";
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
  size_t Reports(const std::string& cluster) {
    std::lock_guard lock(mu_);
    return reports_[cluster].size();
  }

  // Sends an event about `cluster` through the broker, as the API's outbox would.
  void Publish(const std::string& cluster) {
    model::CloudEvent event;
    event.id = "e-" + cluster + "-" + std::to_string(++events_);
    event.source = "/hyperfleet/api";
    event.type = "com.redhat.hyperfleet.cluster.changed.v1";
    event.data = {{"id", cluster}, {"kind", "Cluster"}};
    auto publisher = broker_->NewPublisher();
    ASSERT_TRUE(publisher);
    auto sent =
        (*publisher)->Publish("hyperfleet.clusters.changed.v1", {{event.id, event.Encode(), {}}});
    ASSERT_TRUE(sent.at(0)) << sent.at(0).error().ToString();
  }

  void Open(const std::string& yaml = kConfig) {
    auto config = ParseAdapterConfig(yaml, dir_, "workload.yaml");
    ASSERT_TRUE(config) << config.error().message;
    config->api.base_url = "http://127.0.0.1:" + std::to_string(api_->port());
    config->api.retry.attempts = 1;
    broker_ = broker::OpenMemoryBroker("adapter-resources-test");
    auto runtime = AdapterRuntime::Create(std::move(*config), *broker_, stop_);
    ASSERT_TRUE(runtime) << runtime.error().ToString();
    runtime_ = std::move(*runtime);
    ASSERT_TRUE(runtime_->Start());
  }

  std::optional<json> Object(const std::string& api_version, const std::string& kind,
                             const std::string& ns, const std::string& name) {
    return kube_.objects().Get(api_version, kind, ns, name);
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
  std::unique_ptr<kube::KubeClient> client_;  // for the test acting as another field manager
  std::unique_ptr<kube::KubeObjects> objects_;
  std::unique_ptr<http::Server> api_;
  std::shared_ptr<broker::Broker> broker_;
  std::atomic<bool> stop_{false};
  std::unique_ptr<AdapterRuntime> runtime_;
  std::mutex mu_;
  int events_ = 0;
  std::map<std::string, json> clusters_;              // guarded by mu_
  std::map<std::string, std::vector<json>> reports_;  // guarded by mu_
};

TEST_F(AdapterResourcesTest, AppliesInOrderAndTheDeploymentsReadinessDrivesAvailable) {
  SetCluster("c1", 1, {{"region", "eu-west-1"}, {"replicas", 2}});
  Open();
  EXPECT_EQ(runtime_->Reconcile("c1"), Outcome::kWaiting) << "not available yet: looked at again";
  auto ns = Object("v1", "Namespace", "", "cluster-c1");
  ASSERT_TRUE(ns);
  EXPECT_EQ((*ns)["metadata"]["labels"]["hyperfleet.io/resource-id"], "c1");
  EXPECT_EQ((*ns)["metadata"]["labels"]["hyperfleet.io/adapter"], "workload");
  EXPECT_EQ((*ns)["metadata"]["annotations"]["hyperfleet.io/generation"], "1");
  EXPECT_EQ((*ns)["metadata"]["managedFields"][0]["manager"], "hyperfleet-workload");
  auto settings = Object("v1", "ConfigMap", "cluster-c1", "settings");
  ASSERT_TRUE(settings);
  EXPECT_EQ((*settings)["data"]["region"], "eu-west-1");
  auto deployment = Object("apps/v1", "Deployment", "cluster-c1", "agent");
  ASSERT_TRUE(deployment);
  EXPECT_EQ((*deployment)["spec"]["replicas"], 2) << "a lone placeholder keeps its type";
  EXPECT_EQ((*deployment)["spec"]["template"]["spec"]["containers"][0]["image"], "agent:1");

  EXPECT_EQ(LastCondition("c1", "Applied")["status"], "True");
  EXPECT_EQ(LastCondition("c1", "Applied")["reason"], "ResourcesApplied");
  EXPECT_EQ(LastCondition("c1", "Available")["status"], "False");
  EXPECT_EQ(LastCondition("c1", "Available")["reason"], "AgentStarting");

  // Through the broker, a cluster not yet available is looked at again (backoff). The
  // Deployment's controller makes its replicas ready: no event arrives, the adapter's own
  // re-evaluation sees it.
  Publish("c1");
  ASSERT_TRUE(Eventually([&] { return Reports("c1") >= 2; }));
  ASSERT_TRUE(kube_.objects().SetStatus("apps/v1", "Deployment", "cluster-c1", "agent",
                                        {{"replicas", 2}, {"readyReplicas", 2}}));
  ASSERT_TRUE(Eventually([&] { return LastCondition("c1", "Available")["status"] == "True"; }));
  EXPECT_EQ(LastCondition("c1", "Available")["reason"], "AgentReady");
}

TEST_F(AdapterResourcesTest, ANewGenerationUpdatesTheObjectsAndTheSameOneLeavesThemAlone) {
  SetCluster("c2", 1, {{"region", "eu-west-1"}, {"replicas", 1}});
  Open();
  runtime_->Reconcile("c2");
  const std::string rv =
      (*Object("v1", "ConfigMap", "cluster-c2", "settings"))["metadata"]["resourceVersion"];
  runtime_->Reconcile("c2");  // the same generation: applying the same fields changes nothing
  EXPECT_EQ((*Object("v1", "ConfigMap", "cluster-c2", "settings"))["metadata"]["resourceVersion"],
            rv);

  SetCluster("c2", 2, {{"region", "us-east-1"}, {"replicas", 3}});
  runtime_->Reconcile("c2");
  auto settings = Object("v1", "ConfigMap", "cluster-c2", "settings");
  EXPECT_EQ((*settings)["data"]["region"], "us-east-1");
  EXPECT_EQ((*settings)["metadata"]["annotations"]["hyperfleet.io/generation"], "2");
  EXPECT_EQ((*Object("apps/v1", "Deployment", "cluster-c2", "agent"))["spec"]["replicas"], 3);
}

TEST_F(AdapterResourcesTest, UnmetPreconditionsApplyNothing) {
  SetCluster("c3", 1, {{"region", "eu-west-1"}, {"paused", true}});
  Open();
  EXPECT_EQ(runtime_->Reconcile("c3"), Outcome::kReported);
  EXPECT_FALSE(Object("v1", "Namespace", "", "cluster-c3"));
  EXPECT_EQ(LastCondition("c3", "Applied")["reason"], "PreconditionsNotMet");
}

TEST_F(AdapterResourcesTest, AFieldAnotherManagerOwnsIsAConflictReportedAsHealthFalse) {
  SetCluster("c4", 1, {{"region", "eu-west-1"}});
  ASSERT_TRUE(objects_->Apply(
      {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "cluster-c4"}}}},
      "kubectl"));
  ASSERT_TRUE(objects_->Apply({{"apiVersion", "v1"},
                               {"kind", "ConfigMap"},
                               {"metadata", {{"name", "settings"}, {"namespace", "cluster-c4"}}},
                               {"data", {{"region", "mars-1"}}}},
                              "kubectl"));
  Open();
  EXPECT_EQ(runtime_->Reconcile("c4"), Outcome::kTerminal);
  json health = LastCondition("c4", "Health");
  EXPECT_EQ(health["status"], "False");
  EXPECT_EQ(health["reason"], "ExecutionFailed:resources");
  const std::string message = health["message"];
  EXPECT_NE(message.find("resources.settings: apply ConfigMap v1 cluster-c4/settings"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("conflict with \"kubectl\": .data.region"), std::string::npos) << message;
  EXPECT_FALSE(Object("apps/v1", "Deployment", "cluster-c4", "agent"))
      << "apply stops at the first failure";
}

TEST_F(AdapterResourcesTest, AnOutageOfTheApiServerIsRetried) {
  SetCluster("c5", 1, {{"region", "eu-west-1"}});
  Open();
  kube_.FailNext("PATCH /api/v1/namespaces/cluster-c5/configmaps/settings", 503,
                 "etcd leader changed");
  EXPECT_EQ(runtime_->Reconcile("c5"), Outcome::kTransient);
  EXPECT_EQ(Reports("c5"), 0u);
  EXPECT_EQ(runtime_->Reconcile("c5"), Outcome::kWaiting);
  EXPECT_TRUE(Object("apps/v1", "Deployment", "cluster-c5", "agent"));
}

TEST_F(AdapterResourcesTest, FinalizeDeletesEverythingAndWaitsForAFinalizer) {
  SetCluster("c6", 1, {{"region", "eu-west-1"}});
  Open();
  runtime_->Reconcile("c6");
  // Another controller holds the ConfigMap with a finalizer.
  ASSERT_TRUE(objects_->Apply(
      {{"apiVersion", "v1"},
       {"kind", "ConfigMap"},
       {"metadata",
        {{"name", "settings"}, {"namespace", "cluster-c6"}, {"finalizers", {"example.com/hold"}}}}},
      "other-controller"));
  SetCluster("c6", 2, {{"region", "eu-west-1"}}, /*deleted=*/true);
  EXPECT_EQ(runtime_->Reconcile("c6"), Outcome::kWaiting);
  json finalized = LastCondition("c6", "Finalized");
  EXPECT_EQ(finalized["status"], "False");
  EXPECT_EQ(finalized["reason"], "CleanupInProgress");
  EXPECT_FALSE(Object("apps/v1", "Deployment", "cluster-c6", "agent"));
  auto ns = Object("v1", "Namespace", "", "cluster-c6");
  ASSERT_TRUE(ns);
  EXPECT_EQ((*ns)["status"]["phase"], "Terminating");

  EXPECT_EQ(runtime_->Reconcile("c6"), Outcome::kWaiting) << "still held";
  ASSERT_TRUE(kube_.objects().RemoveFinalizers("v1", "ConfigMap", "cluster-c6", "settings"));
  EXPECT_EQ(runtime_->Reconcile("c6"), Outcome::kReported);
  EXPECT_EQ(LastCondition("c6", "Finalized")["status"], "True");
  EXPECT_FALSE(Object("v1", "Namespace", "", "cluster-c6"));
  EXPECT_NE(LastCondition("c6", "Finalized")["message"].get<std::string>().find(
                "its Kubernetes objects are gone"),
            std::string::npos);
}

TEST_F(AdapterResourcesTest, AResourceNotFoundByItsSelectorIsNotAvailable) {
  SetCluster("c7", 1, {{"region", "eu-west-1"}});
  std::string yaml = kConfig;
  yaml = yaml.substr(0, yaml.find("status:"));  // the default report
  const std::string selector = "        app: agent\n";
  yaml.replace(yaml.find(selector), selector.size(), "        app: somebody-else\n");
  Open(yaml);
  EXPECT_EQ(runtime_->Reconcile("c7"), Outcome::kWaiting);
  EXPECT_EQ(LastCondition("c7", "Available")["status"], "False");
  EXPECT_EQ(LastCondition("c7", "Available")["reason"], "ResourcesNotFound");
  EXPECT_EQ(LastCondition("c7", "Available")["message"], "not found: deployment");
}

TEST_F(AdapterResourcesTest, ByDefaultAvailableMeansEveryResourceWasFound) {
  SetCluster("c8", 1, {{"region", "eu-west-1"}});
  std::string yaml = kConfig;
  Open(yaml.substr(0, yaml.find("status:")));
  EXPECT_EQ(runtime_->Reconcile("c8"), Outcome::kReported);
  EXPECT_EQ(LastCondition("c8", "Available")["status"], "True");
  EXPECT_EQ(LastCondition("c8", "Available")["reason"], "ResourcesAvailable");
}

TEST_F(AdapterResourcesTest, AClusterThatIsGoneHasItsObjectsDeleted) {
  SetCluster("c9", 1, {{"region", "eu-west-1"}});
  Open();
  runtime_->Reconcile("c9");
  ASSERT_TRUE(Object("v1", "Namespace", "", "cluster-c9"));
  {
    std::lock_guard lock(mu_);
    clusters_.erase("c9");  // force-deleted: no finalize ran
  }
  EXPECT_EQ(runtime_->Reconcile("c9"), Outcome::kWaiting) << "deleted, not yet gone";
  EXPECT_EQ(runtime_->Reconcile("c9"), Outcome::kGone);
  EXPECT_FALSE(Object("v1", "Namespace", "", "cluster-c9"));
  EXPECT_FALSE(Object("apps/v1", "Deployment", "cluster-c9", "agent"));
  EXPECT_EQ(Reports("c9"), 1u) << "nothing is reported about a resource that is gone";
}

// A batch/v1 Job is one resource like any other: applied, discovered with its status (Available
// reads its Complete condition), deleted on finalize.
TEST_F(AdapterResourcesTest, AJobIsAResourceLikeAnyOther) {
  SetCluster("c9", 1, json::object());
  Open(R"yaml(
name: checker
kubernetes:
  kubeconfig: kubeconfig
resources:
  - name: check
    manifest:
      apiVersion: batch/v1
      kind: Job
      metadata:
        name: "check-{{ cluster_id }}-{{ generation }}"
        namespace: hf
      spec:
        backoffLimit: 0
        template:
          spec:
            restartPolicy: Never
            containers: [{name: check, image: "check:1", command: [/check]}]
status:
  conditions:
    - type: Available
      status: >-
        resources.?check.?status.?conditions.orValue([]).exists(c,
          c.type == "Complete" && c.status == "True")
      reason: 'resources.?check.?status.?succeeded.orValue(0) > 0 ? "Checked" : "Checking"'
)yaml");
  EXPECT_EQ(runtime_->Reconcile("c9"), Outcome::kWaiting);
  auto job = kube_.Job("hf", "check-c9-1");
  ASSERT_TRUE(job) << "applied with server-side apply";
  EXPECT_EQ((*job)["metadata"]["labels"]["hyperfleet.io/adapter"], "checker");
  EXPECT_EQ((*job)["metadata"]["annotations"]["hyperfleet.io/generation"], "1");
  EXPECT_EQ(LastCondition("c9", "Available")["reason"], "Checking");

  ASSERT_TRUE(kube_.MarkComplete("hf", "check-c9-1"));
  EXPECT_EQ(runtime_->Reconcile("c9"), Outcome::kReported);
  EXPECT_EQ(LastCondition("c9", "Available")["status"], "True");
  EXPECT_EQ(LastCondition("c9", "Available")["reason"], "Checked");
  EXPECT_EQ(kube_.JobCount(), 1u) << "applying again changed nothing";

  SetCluster("c9", 1, json::object(), /*deleted=*/true);
  runtime_->Reconcile("c9");
  ASSERT_TRUE(Eventually([&] {
    runtime_->Reconcile("c9");
    return LastCondition("c9", "Finalized")["status"] == "True";
  }));
  EXPECT_EQ(kube_.JobCount(), 0u);
}

}  // namespace
}  // namespace hf::adapter
