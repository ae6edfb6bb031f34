// The seed flow end to end on both stacks (see testing/fleet_stack.hpp): the 14 phases from
// create to Reconciled, a PATCH to generation 2, three rapid PATCHes that coalesce, and 20
// clusters created at once. Each test prints its create→reconciled time (not asserted).
#include <gtest/gtest.h>

#include <thread>

#include "testing/env.hpp"
#include "testing/fake_kube_api.hpp"
#include "testing/fleet_stack.hpp"

namespace hf::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class SeedFlowE2E : public ::testing::TestWithParam<StackKind> {
 protected:
  void SetUp() override {
    if (GetParam() == StackKind::kDistributed) {
      HF_REQUIRE_ENV(dsn, "HF_TEST_PG_DSN");
      HF_REQUIRE_ENV(emulator, "HF_TEST_PUBSUB_EMULATOR_HOST");
    }
  }
};

// Reason of an adapter's condition in a statuses list.
std::string Reason(const json& statuses, const std::string& adapter, const std::string& type) {
  json s = FindStatus(statuses, adapter);
  if (s.is_null()) return "";
  for (const auto& c : s["conditions"]) {
    if (c.value("type", "") == type) return c.value("reason", "");
  }
  return "";
}

// Waits until the statuses of `id` satisfy `pred`; returns whether they did.
bool StatusesReach(FleetStack& stack, const std::string& id,
                   const std::function<bool(const json&)>& pred, json* last) {
  *last = stack.WaitFor("/clusters/" + id + "/statuses", pred, 30s);
  return pred(*last);
}

int Requested(FleetStack& stack, const std::string& id) {
  const json events = stack.Call("GET", "/events?aggregate_id=" + id + "&size=100");
  int n = 0;
  for (const auto& e : events["items"]) n += e.value("reason", "") == "requested";
  return n;
}

TEST_P(SeedFlowE2E, FourteenPhasesFromCreateToReconciledThenGenerationTwo) {
  // Validation and dns take long enough for the intermediate phases to be observed.
  FleetStack stack(GetParam(), {.job_seconds = {{"validation", "1.5"}, {"dns", "1.0"}}});
  ASSERT_TRUE(stack.error().empty()) << stack.error();
  const auto start = std::chrono::steady_clock::now();
  const std::string id = stack.CreateCluster("seed");
  ASSERT_FALSE(id.empty());

  // (1) the cluster and its `created` event were committed together.
  const json events = stack.Call("GET", "/events?aggregate_id=" + id);
  ASSERT_GE(events["items"].size(), 1u) << events.dump();
  EXPECT_EQ(events["items"][0]["reason"], "created");

  // (2–4) published and fanned out: validation runs its job while dns and placement wait.
  json statuses;
  EXPECT_TRUE(StatusesReach(
      stack, id,
      [](const json& s) {
        return Reason(s, "validation", "Applied") == "JobLaunched" &&
               Reason(s, "validation", "Available") == "JobRunning" &&
               Reason(s, "dns", "Applied") == "PreconditionsNotMet" &&
               Reason(s, "placement", "Applied") == "PreconditionsNotMet";
      },
      &statuses))
      << statuses.dump() << stack.Logs();
  // (5–8) validation succeeded; dns runs while placement still waits.
  EXPECT_TRUE(StatusesReach(
      stack, id,
      [](const json& s) {
        return Reason(s, "validation", "Available") == "JobSucceeded" &&
               Reason(s, "dns", "Available") == "JobRunning" &&
               Reason(s, "placement", "Applied") == "PreconditionsNotMet";
      },
      &statuses))
      << statuses.dump() << stack.Logs();
  // (9–13) placement runs; every required adapter is Available at generation 1: Reconciled.
  json done = stack.WaitFor(
      "/clusters/" + id, [](const json& c) { return ReconciledAt(c, 1); }, 60s);
  ASSERT_TRUE(ReconciledAt(done, 1)) << done.dump() << stack.Logs();
  LogElapsed(GetParam(), "create→reconciled", start);
  EXPECT_EQ(ConditionField(done, "LastKnownReconciled"), "True");
  for (const char* type : {"ValidationSuccessful", "DnsSuccessful", "PlacementSuccessful"}) {
    EXPECT_EQ(ConditionField(done, type), "True") << type;
  }
  statuses = stack.Call("GET", "/clusters/" + id + "/statuses");
  for (const char* adapter : {"validation", "dns", "placement"}) {
    json s = FindStatus(statuses, adapter);
    ASSERT_FALSE(s.is_null()) << adapter;
    EXPECT_EQ(s["observed_generation"], 1) << adapter;
    for (const auto& c : s["conditions"]) {
      EXPECT_FALSE(c.value("reason", "").empty()) << adapter << " " << c.dump();
      EXPECT_FALSE(c.value("message", "").empty()) << adapter << " " << c.dump();
    }
    EXPECT_EQ(Reason(statuses, adapter, "Available"), "JobSucceeded") << adapter;
    EXPECT_EQ(Reason(statuses, adapter, "Health"), "Healthy") << adapter;
  }
  // (14) the ticker leaves a reconciled cluster alone (its intervals here are 1–8 s).
  const int requested = Requested(stack, id);
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(Requested(stack, id), requested);

  // PATCH spec → generation 2 → every adapter runs again → reconciled at generation 2.
  const auto patched_at = std::chrono::steady_clock::now();
  auto patched = stack.Call("PATCH", "/clusters/" + id, {{"spec", {{"size", 2}}}});
  ASSERT_EQ(patched["generation"], 2) << patched.dump();
  json gen2 = stack.WaitFor(
      "/clusters/" + id, [](const json& c) { return ReconciledAt(c, 2); }, 60s);
  ASSERT_TRUE(ReconciledAt(gen2, 2)) << gen2.dump() << stack.Logs();
  LogElapsed(GetParam(), "patch→reconciled at generation 2", patched_at);
  statuses = stack.Call("GET", "/clusters/" + id + "/statuses");
  for (const char* adapter : {"validation", "dns", "placement"}) {
    EXPECT_EQ(FindStatus(statuses, adapter)["observed_generation"], 2) << adapter;
    EXPECT_EQ(stack.Jobs(adapter).size(), 2u) << adapter;  // one job per generation
  }
}

TEST_P(SeedFlowE2E, ThreeRapidPatchesCoalesceToTheLastGeneration) {
  FleetStack stack(GetParam(), {.job_seconds = {{"validation", "1.0"}}});
  ASSERT_TRUE(stack.error().empty()) << stack.error();
  const std::string id = stack.CreateCluster("coalesce");
  ASSERT_TRUE(
      ReconciledAt(stack.WaitFor(
                       "/clusters/" + id, [](const json& c) { return ReconciledAt(c, 1); }, 60s),
                   1))
      << stack.Logs();

  const auto start = std::chrono::steady_clock::now();
  for (int size = 2; size <= 4; ++size) {
    auto r = stack.Call("PATCH", "/clusters/" + id, {{"spec", {{"size", size}}}});
    ASSERT_EQ(r["generation"], size) << r.dump();
  }
  json done = stack.WaitFor(
      "/clusters/" + id, [](const json& c) { return ReconciledAt(c, 4); }, 60s);
  ASSERT_TRUE(ReconciledAt(done, 4)) << done.dump() << stack.Logs();
  LogElapsed(GetParam(), "three patches→reconciled at generation 4", start);
  const json statuses = stack.Call("GET", "/clusters/" + id + "/statuses");
  for (const char* adapter : {"validation", "dns", "placement"}) {
    EXPECT_EQ(FindStatus(statuses, adapter)["observed_generation"], 4) << adapter;
  }
  // Validation may have started on an intermediate generation before the last PATCH landed,
  // but the chain behind it only ever runs for the generation validation succeeded on.
  for (const char* adapter : {"dns", "placement"}) {
    const auto jobs = stack.Jobs(adapter);
    ASSERT_EQ(jobs.size(), 2u) << adapter;
    EXPECT_EQ(jobs[0], std::string(adapter) + "-" + id + "-1");
    EXPECT_EQ(jobs[1], std::string(adapter) + "-" + id + "-4");
  }
}

TEST_P(SeedFlowE2E, TwentyClustersCreatedConcurrentlyAllReconcile) {
  FleetStack stack(GetParam());
  ASSERT_TRUE(stack.error().empty()) << stack.error();
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> ids(20);
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] { ids[i] = stack.CreateCluster("bulk-" + std::to_string(i)); });
  }
  for (auto& t : threads) t.join();
  for (const auto& id : ids) {
    ASSERT_FALSE(id.empty());
    json c = stack.WaitFor(
        "/clusters/" + id, [](const json& x) { return ReconciledAt(x, 1); }, 90s);
    EXPECT_TRUE(ReconciledAt(c, 1)) << c.dump();
  }
  LogElapsed(GetParam(), "20 concurrent creates→all reconciled", start);
  const json reconciled = stack.Call(
      "GET", "/clusters?search=" + std::string("status.conditions.Reconciled%3D%27True%27"));
  EXPECT_EQ(reconciled["total"], 20) << reconciled.dump();
}

INSTANTIATE_TEST_SUITE_P(Stacks, SeedFlowE2E,
                         ::testing::Values(StackKind::kEmbedded, StackKind::kDistributed),
                         [](const auto& info) { return ToString(info.param); });

// The chain with a resource-managing adapter as a fourth required one
// (deploy/adapters/kubernetes/resources/cluster-namespace.yaml, its own process, against a fake
// Kubernetes API server in this process): the cluster is reconciled only once its namespace is
// Active, and deleting the cluster deletes the namespace before the cluster goes.
TEST(SeedFlowWithResourcesE2E, ANamespacePerClusterIsPartOfTheChain) {
  HF_REQUIRE_ENV(dsn, "HF_TEST_PG_DSN");
  HF_REQUIRE_ENV(emulator, "HF_TEST_PUBSUB_EMULATOR_HOST");
  FakeKubeApi kube;
  FleetStack stack(StackKind::kDistributed, {.job_seconds = {}, .kube_api_url = kube.url()});
  ASSERT_TRUE(stack.error().empty()) << stack.error();
  const auto start = std::chrono::steady_clock::now();
  const std::string id = stack.CreateCluster("with-namespace");
  ASSERT_FALSE(id.empty());
  const json cluster = stack.WaitFor(
      "/clusters/" + id, [](const json& c) { return ReconciledAt(c, 1); }, 60s);
  ASSERT_TRUE(ReconciledAt(cluster, 1)) << cluster.dump() << stack.Logs();
  LogElapsed(StackKind::kDistributed, "create→reconciled with a namespace adapter", start);
  EXPECT_EQ(ConditionField(cluster, "ClusterNamespaceSuccessful"), "True") << cluster.dump();
  auto ns = kube.objects().Get("v1", "Namespace", "", "cluster-" + id);
  ASSERT_TRUE(ns) << stack.Logs();
  EXPECT_EQ((*ns)["metadata"]["labels"]["hyperfleet.io/resource-id"], id);
  EXPECT_EQ((*ns)["metadata"]["managedFields"][0]["manager"], "hyperfleet-cluster-namespace");

  ASSERT_EQ(stack.Call("DELETE", "/clusters/" + id)["http_status"], 202);
  const json gone = stack.WaitFor(
      "/clusters/" + id, [](const json& c) { return c.value("http_status", 0) == 404; }, 60s);
  EXPECT_EQ(gone.value("http_status", 0), 404) << gone.dump() << stack.Logs();
  EXPECT_FALSE(kube.objects().Get("v1", "Namespace", "", "cluster-" + id))
      << "the cluster went only after its namespace";
}

}  // namespace
}  // namespace hf::testing
