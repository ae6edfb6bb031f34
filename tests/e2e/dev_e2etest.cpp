// `hyperfleet dev` as a process: Ctrl-C stops it cleanly and a restart keeps the clusters, and
// `dev --auth` hands the CLI a token. The seed flow itself runs on this stack (with --auth) in
// seed_flow_e2etest.cpp and failures_e2etest.cpp.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <regex>

#include "testing/fleet_stack.hpp"
#include "testing/process.hpp"

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

TEST(DevE2E, AuthWritesAUserTokenTheCliUses) {
  FleetStack dev(StackKind::kEmbedded);  // runs `dev --auth`
  ASSERT_TRUE(dev.error().empty()) << dev.error();
  std::smatch m;
  const std::string logs = dev.Logs();
  ASSERT_TRUE(std::regex_search(logs, m, std::regex("export HYPERFLEET_TOKEN_FILE=(\\S+)")))
      << logs;
  const std::string token_file = m[1];
  struct stat st {};
  ASSERT_EQ(::stat(token_file.c_str(), &st), 0) << token_file;
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // a credential: readable by its owner only
  const std::string data_dir = token_file.substr(0, token_file.rfind('/'));
  for (const auto& [path, mode] :
       {std::pair{data_dir, 0700u}, std::pair{data_dir + "/hyperfleet.db", 0600u},
        std::pair{data_dir + "/signing-key.pem", 0600u}}) {
    ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_mode & 0777, mode) << path;
  }

  const std::map<std::string, std::string> env = {{"HYPERFLEET_API_URL", dev.base_url()},
                                                  {"HYPERFLEET_TOKEN_FILE", token_file}};
  auto created = RunHyperfleet({"clusters", "create", "--name", "cli-auth", "-o", "json"}, env);
  ASSERT_EQ(created.exit_code, 0) << created.output;
  const std::string id = json::parse(created.output).value("id", "");
  auto watched = RunHyperfleet({"clusters", "watch", id, "--timeout", "60s"}, env);
  EXPECT_EQ(watched.exit_code, 0) << watched.output << dev.Logs();
  const char* user = std::getenv("USER");  // the user token names who started dev
  EXPECT_EQ(dev.Call("GET", "/clusters/" + id).value("created_by", ""),
            user && *user ? std::string(user) : "developer");

  auto anonymous = RunHyperfleet({"clusters", "list"}, {{"HYPERFLEET_API_URL", dev.base_url()}});
  EXPECT_EQ(anonymous.exit_code, 1) << anonymous.output;
  EXPECT_NE(anonymous.output.find("HYPERFLEET-AUT-001"), std::string::npos) << anonymous.output;
}

}  // namespace
}  // namespace hf::testing
