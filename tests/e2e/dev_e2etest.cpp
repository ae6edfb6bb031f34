// `hyperfleet dev` as a process: Ctrl-C stops it cleanly and a restart keeps the clusters,
// `dev --auth` hands the CLI a token, and without auth it serves only loopback Hosts and Origins.
// The seed flow itself runs on this stack (with --auth) in seed_flow_e2etest.cpp and
// failures_e2etest.cpp.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <regex>

#include "testing/env.hpp"
#include "testing/fleet_stack.hpp"
#include "testing/http_connection.hpp"
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

// `hyperfleet dev` without --auth on its defaults (loopback, the shipped adapters), with the
// ticker on short intervals; extra flags appended.
class DevWithoutAuth {
 public:
  explicit DevWithoutAuth(const std::vector<std::string>& extra = {})
      : dir_(MakeTempDir("hf-dev-guard")), port_(FreePort()), health_port_(FreePort()) {
    std::vector<std::string> argv = {HyperfleetBinary(), "dev",
                                     "--data-dir",       dir_ + "/data",
                                     "--port",           std::to_string(port_),
                                     "--health-port",    std::to_string(health_port_),
                                     "--metrics-port",   std::to_string(FreePort()),
                                     "--poll-interval",  "300ms",
                                     "--debounce",       "0s"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ =
        std::make_unique<Process>(argv, std::map<std::string, std::string>{}, dir_ + "/dev.log");
  }
  ~DevWithoutAuth() {
    process_.reset();
    std::filesystem::remove_all(dir_);
  }
  bool WaitUp() { return WaitForPort(port_, 30s) && WaitForPort(health_port_, 30s); }
  // One GET of the cluster list with these raw header lines ("Name: value\r\n" each).
  HttpConnection::Reply Get(const std::string& headers) {
    HttpConnection c(port_);
    EXPECT_TRUE(c.Send("GET /api/hyperfleet/v1/clusters HTTP/1.1\r\n" + headers +
                       "Connection: close\r\n\r\n"));
    return c.Read();
  }
  int port() const { return port_; }
  std::string Log() const { return process_->Log(); }

 private:
  std::string dir_;
  int port_;
  int health_port_;
  std::unique_ptr<Process> process_;
};

TEST(DevE2E, WithoutAuthServesOnlyLoopbackHostsAndOrigins) {
  DevWithoutAuth dev;
  ASSERT_TRUE(dev.WaitUp()) << dev.Log();
  const std::string port = std::to_string(dev.port());
  // What the CLI, curl and a browser on this machine send.
  for (const std::string& host :
       std::vector<std::string>{"localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port,
                                "LocalHost", "127.8.9.10", "app.localhost:" + port}) {
    EXPECT_EQ(dev.Get("Host: " + host + "\r\n").status, 200) << host;
  }
  for (const std::string& origin :
       std::vector<std::string>{"http://localhost:3000", "http://127.0.0.1:" + port,
                                "https://[::1]:8443", "http://localhost"}) {
    EXPECT_EQ(dev.Get("Host: localhost:" + port + "\r\nOrigin: " + origin + "\r\n").status, 200)
        << origin;
  }
  // DNS rebinding: the name of the attacker's page, now resolving to 127.0.0.1.
  for (const std::string& host :
       std::vector<std::string>{"evil.example:" + port, "evil.example", "localhost.evil.example",
                                "127.0.0.1.evil.example", "192.0.2.1:" + port, "[::ffff:7f00:1]"}) {
    auto reply = dev.Get("Host: " + host + "\r\n");
    EXPECT_EQ(reply.status, 421) << host;
    EXPECT_EQ(reply.headers["content-type"], "application/problem+json") << host;
    EXPECT_NE(reply.body.find("HYPERFLEET-AUZ-002"), std::string::npos) << reply.body;
    EXPECT_NE(reply.body.find("--auth"), std::string::npos) << "says how to serve other hosts";
  }
  EXPECT_EQ(dev.Get("").status, 421) << "no Host at all";
  // Cross-site requests from a page in this machine's browser.
  for (const std::string& origin :
       std::vector<std::string>{"http://evil.example", "https://evil.example:" + port, "null",
                                "file://", "http://localhost.evil.example",
                                "http://localhost:" + port + "/path", "ftp://localhost"}) {
    auto reply = dev.Get("Host: localhost:" + port + "\r\nOrigin: " + origin + "\r\n");
    EXPECT_EQ(reply.status, 403) << origin;
    EXPECT_EQ(reply.headers["content-type"], "application/problem+json") << origin;
    EXPECT_NE(reply.body.find("HYPERFLEET-AUZ-003"), std::string::npos) << reply.body;
  }

  // The CLI and dev's own ticker and adapters (127.0.0.1) still reach it: a cluster reconciles.
  const std::map<std::string, std::string> env = {
      {"HYPERFLEET_API_URL", "http://localhost:" + port}};
  auto created = RunHyperfleet({"clusters", "create", "--name", "guarded", "-o", "json"}, env);
  ASSERT_EQ(created.exit_code, 0) << created.output;
  const std::string id = nlohmann::json::parse(created.output).value("id", "");
  auto watched = RunHyperfleet({"clusters", "watch", id, "--timeout", "60s"}, env);
  EXPECT_EQ(watched.exit_code, 0) << watched.output << dev.Log();
}

TEST(DevE2E, AllowedHostsAddsHostNamesToTheLoopbackOnes) {
  DevWithoutAuth dev({"--allowed-hosts", "devbox.internal,Other.Example"});
  ASSERT_TRUE(dev.WaitUp()) << dev.Log();
  EXPECT_EQ(dev.Get("Host: devbox.internal:" + std::to_string(dev.port()) + "\r\n").status, 200);
  EXPECT_EQ(dev.Get("Host: other.example\r\nOrigin: http://devbox.internal:3000\r\n").status, 200);
  EXPECT_EQ(dev.Get("Host: evil.example\r\n").status, 421);
  EXPECT_EQ(dev.Get("Host: localhost\r\nOrigin: http://evil.example\r\n").status, 403);
}

TEST(DevE2E, WithAuthServesAnyHost) {
  // With tokens checked, a page cannot act as the user (it has no token): no Host rule.
  DevWithoutAuth dev({"--auth"});
  ASSERT_TRUE(dev.WaitUp()) << dev.Log();
  EXPECT_EQ(dev.Get("Host: dev.example\r\n").status, 401);
}

}  // namespace
}  // namespace hf::testing
