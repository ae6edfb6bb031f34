// `hyperfleet dev` as a process: Ctrl-C stops it cleanly and a restart keeps the clusters. The
// seed flow itself runs on this stack in seed_flow_e2etest.cpp and failures_e2etest.cpp.
#include <gtest/gtest.h>

#include "testing/fleet_stack.hpp"

namespace hf::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

TEST(DevE2E, CtrlCStopsCleanlyAndARestartKeepsTheClusters) {
  FleetStack dev(StackKind::kEmbedded);
  ASSERT_TRUE(dev.error().empty()) << dev.error();
  auto created = dev.Call("POST", "/clusters",
                          {{"kind", "Cluster"}, {"name", "keep-me"}, {"spec", json::object()}});
  ASSERT_EQ(created["http_status"], 201) << created.dump();
  const std::string id = created["id"];

  EXPECT_EQ(dev.Stop("dev", SIGINT), 0) << dev.Logs();
  ASSERT_TRUE(dev.Restart("dev")) << dev.error();
  auto again = dev.Call("GET", "/clusters/" + id);
  EXPECT_EQ(again["http_status"], 200);
  EXPECT_EQ(again["name"], "keep-me");
  auto done = dev.WaitFor(
      "/clusters/" + id, [](const json& c) { return ReconciledAt(c, 1); }, 60s);
  EXPECT_TRUE(ReconciledAt(done, 1)) << done.dump() << dev.Logs();
  EXPECT_EQ(dev.Stop("dev", SIGTERM), 0);
}

}  // namespace
}  // namespace hf::testing
