// Which addresses each server subcommand listens on, read from the kernel's socket table
// (/proc/net/tcp, /proc/net/tcp6): health and metrics bind 127.0.0.1 unless configured, the API
// keeps `host` (0.0.0.0 for `api`, 127.0.0.1 for `dev`), and every server subcommand takes
// --host. Needs no service: SQLite and the memory broker.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "testing/env.hpp"
#include "testing/process.hpp"

namespace hf::testing {
namespace {

using namespace std::chrono_literals;

// The local address of the socket listening on TCP `port` ("127.0.0.1", "0.0.0.0", "::",
// "::1"), or "" when none listens.
std::string ListeningAddress(int port) {
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      const auto colon = local.find(':');
      if (state != "0A" || std::stoi(local.substr(colon + 1), nullptr, 16) != port) continue;
      const std::string hex = local.substr(0, colon);
      if (hex == "0100007F") return "127.0.0.1";
      if (hex == "00000000") return "0.0.0.0";
      if (hex == std::string(32, '0')) return "::";
      if (hex == "00000000000000000000000001000000") return "::1";
      return hex;
    }
  }
  return "";
}

struct Ports {
  int api = FreePort();
  int health = FreePort();
  int metrics = FreePort();
};

// Runs `hyperfleet <args>` with its health and metrics ports (and, for api/dev, its API port)
// on fresh ports until each listens; returns the addresses {api, health, metrics}.
class Server {
 public:
  Server(const std::string& command, std::vector<std::string> args,
         const std::map<std::string, std::string>& env = {})
      : dir_(MakeTempDir("hf-listen")) {
    std::vector<std::string> argv = {HyperfleetBinary(),
                                     command,
                                     "--health-port",
                                     std::to_string(ports_.health),
                                     "--metrics-port",
                                     std::to_string(ports_.metrics),
                                     "--db",
                                     "sqlite:" + dir_ + "/hf.db"};
    if (command == "api" || command == "dev") {
      argv.insert(argv.end(), {"--port", std::to_string(ports_.api)});
    }
    argv.insert(argv.end(), args.begin(), args.end());
    auto with_data_dir = env;
    with_data_dir["HYPERFLEET_DATA_DIR"] = dir_ + "/data";
    process_ = std::make_unique<Process>(argv, with_data_dir, dir_ + "/log");
  }
  ~Server() {
    process_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Waits until the health and metrics ports listen; their addresses.
  std::pair<std::string, std::string> OpsAddresses() {
    for (int i = 0; i < 300; ++i) {
      auto health = ListeningAddress(ports_.health), metrics = ListeningAddress(ports_.metrics);
      if (!health.empty() && !metrics.empty()) return {health, metrics};
      if (!process_->Running()) break;
      std::this_thread::sleep_for(100ms);
    }
    ADD_FAILURE() << "health/metrics ports never listened; log:\n" << process_->Log();
    return {};
  }
  std::string ApiAddress() const { return ListeningAddress(ports_.api); }

 private:
  std::string dir_;
  Ports ports_;
  std::unique_ptr<Process> process_;
};

using Addresses = std::pair<std::string, std::string>;
const Addresses kLoopback{"127.0.0.1", "127.0.0.1"};
const Addresses kEverywhere{"0.0.0.0", "0.0.0.0"};

TEST(ListenAddresses, ApiServesItsApiEverywhereButHealthAndMetricsOnLoopback) {
  Server api("api", {"--auth-enabled", "false"});
  EXPECT_EQ(api.OpsAddresses(), kLoopback);
  EXPECT_EQ(api.ApiAddress(), "0.0.0.0");
}

TEST(ListenAddresses, ApiHealthAndMetricsHostsAreSettings) {
  Server api("api", {"--auth-enabled", "false", "--host", "127.0.0.1", "--health-host", "0.0.0.0"},
             {{"HYPERFLEET_METRICS_HOST", "0.0.0.0"}});
  EXPECT_EQ(api.OpsAddresses(), kEverywhere);
  EXPECT_EQ(api.ApiAddress(), "127.0.0.1");
}

TEST(ListenAddresses, DevBindsOnlyLoopback) {
  Server dev("dev", {});
  EXPECT_EQ(dev.OpsAddresses(), kLoopback);
  EXPECT_EQ(dev.ApiAddress(), "127.0.0.1");
}

TEST(ListenAddresses, OutboxBindsLoopbackUnlessGivenAHost) {
  EXPECT_EQ(Server("outbox", {}).OpsAddresses(), kLoopback);
  EXPECT_EQ(Server("outbox", {"--host", "0.0.0.0"}).OpsAddresses(), kEverywhere);
  EXPECT_EQ(Server("outbox", {"--host", "0.0.0.0", "--metrics-host", "127.0.0.1"}).OpsAddresses(),
            Addresses("0.0.0.0", "127.0.0.1"));
}

TEST(ListenAddresses, TickerBindsLoopbackUnlessGivenAHost) {
  // No API answers: the ticker serves health (not ready) and metrics all the same.
  const std::vector<std::string> unreachable = {"--api-url", "http://127.0.0.1:1"};
  EXPECT_EQ(Server("ticker", unreachable).OpsAddresses(), kLoopback);
  EXPECT_EQ(Server("ticker", unreachable, {{"HYPERFLEET_HOST", "0.0.0.0"}}).OpsAddresses(),
            kEverywhere);
}

TEST(ListenAddresses, AdapterBindsLoopbackUnlessGivenAHost) {
  const std::string config = SourceDir() + "/deploy/adapters/validation.yaml";
  const std::vector<std::string> args = {"--config", config,      "--broker",
                                         "memory",   "--api-url", "http://127.0.0.1:1"};
  EXPECT_EQ(Server("adapter", args).OpsAddresses(), kLoopback);
  auto everywhere = args;
  everywhere.insert(everywhere.end(), {"--host", "0.0.0.0"});
  EXPECT_EQ(Server("adapter", everywhere).OpsAddresses(), kEverywhere);
}

}  // namespace
}  // namespace hf::testing
