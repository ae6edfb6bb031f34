// `hyperfleet dev`: the seed flow end to end in one process (SQLite + memory broker + local jobs).
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/http_client.hpp"
#include "testing/env.hpp"
#include "testing/process.hpp"

namespace hf::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// A dev stack whose validation job takes `validation_seconds`, so the intermediate phases can be
// observed. The example adapters are copied from deploy/adapters.
class DevStack {
 public:
  explicit DevStack(const std::string& validation_seconds) {
    dir_ = MakeTempDir("hf-dev");
    std::string src = EnvOrEmpty("HF_SOURCE_DIR") + "/deploy/adapters";
    fs::copy(src, dir_ + "/adapters", fs::copy_options::recursive);
    std::ifstream in(dir_ + "/adapters/validation.yaml");
    std::stringstream text;
    text << in.rdbuf();
    std::string yaml = std::regex_replace(text.str(), std::regex(R"(JOB_DURATION: "[^"]*")"),
                                          "JOB_DURATION: \"" + validation_seconds + "\"");
    std::ofstream(dir_ + "/adapters/validation.yaml") << yaml;
    port_ = FreePort();
    Start();
  }

  void Start() {
    process_ = std::make_unique<Process>(
        std::vector<std::string>{HyperfleetBinary(), "dev", "--data-dir", dir_ + "/data",
                                 "--adapters-dir", dir_ + "/adapters", "--port",
                                 std::to_string(port_), "--health-port",
                                 std::to_string(FreePort()), "--metrics-port",
                                 std::to_string(FreePort()), "--poll-interval", "500ms",
                                 "--backoff-base", "1s", "--debounce", "0s"},
        std::map<std::string, std::string>{}, dir_ + "/dev.log");
    ASSERT_TRUE(WaitForPort(port_, std::chrono::seconds(30))) << process_->Log();
  }
  Process& process() { return *process_; }

  json Call(const std::string& method, const std::string& path, const json& body = nullptr) {
    HttpRequest req;
    req.method = method;
    req.url = "http://127.0.0.1:" + std::to_string(port_) + "/api/hyperfleet/v1" + path;
    if (!body.is_null()) req.body = body.dump();
    auto res = http_.Send(req);
    if (!res) return {{"transport_error", res.error().message}};
    auto j = json::parse(res->body.empty() ? "{}" : res->body, nullptr, false);
    if (j.is_discarded()) j = json::object();
    j["http_status"] = res->status;
    return j;
  }

  static std::string ConditionStatus(const json& resource, const std::string& type) {
    for (const auto& c : resource["status"]["conditions"]) {
      if (c["type"] == type) return c["status"];
    }
    return "";
  }

  // Polls until `pred(cluster)` holds; returns the last cluster JSON.
  template <typename Pred>
  json WaitFor(const std::string& id, Pred pred, std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    json c;
    while (std::chrono::steady_clock::now() < deadline) {
      c = Call("GET", "/clusters/" + id);
      if (pred(c)) return c;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return c;
  }

 private:
  std::string dir_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
  HttpClient http_;
};

json Status(DevStack& dev, const std::string& id, const std::string& adapter) {
  const json list = dev.Call("GET", "/clusters/" + id + "/statuses");
  if (!list.contains("items")) return nullptr;
  for (const auto& s : list["items"]) {
    if (s["adapter"] == adapter) return s;
  }
  return nullptr;
}

std::string Cond(const json& status, const std::string& type, const char* field = "status") {
  if (status.is_null()) return "";
  for (const auto& c : status["conditions"]) {
    if (c["type"] == type) return c.value(field, "");
  }
  return "";
}

TEST(DevE2E, SeedFlowFromCreateToReconciled) {
  DevStack dev("1.5");
  auto start = std::chrono::steady_clock::now();
  auto created = dev.Call("POST", "/clusters", {{"kind", "Cluster"}, {"name", "seed"}, {"spec", json::object()}});
  ASSERT_EQ(created["http_status"], 201) << created.dump();
  std::string id = created["id"];

  // While validation's job runs, dns and placement report PreconditionsNotMet.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  bool saw_waiting = false;
  while (!saw_waiting && std::chrono::steady_clock::now() < deadline) {
    auto dns = Status(dev, id, "dns");
    auto validation = Status(dev, id, "validation");
    saw_waiting = Cond(dns, "Applied", "reason") == "PreconditionsNotMet" &&
                  Cond(validation, "Applied", "reason") == "JobLaunched" &&
                  Cond(validation, "Available") == "False";
    if (!saw_waiting) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(saw_waiting) << dev.Call("GET", "/clusters/" + id + "/statuses").dump();

  auto done = dev.WaitFor(
      id, [](const json& c) { return DevStack::ConditionStatus(c, "Reconciled") == "True"; },
      std::chrono::seconds(60));
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  ASSERT_EQ(DevStack::ConditionStatus(done, "Reconciled"), "True") << done.dump();
  std::cout << "create→reconciled: " << elapsed.count() << " ms\n";
  EXPECT_EQ(DevStack::ConditionStatus(done, "LastKnownReconciled"), "True");
  for (const char* type : {"ValidationSuccessful", "DnsSuccessful", "PlacementSuccessful"}) {
    EXPECT_EQ(DevStack::ConditionStatus(done, type), "True") << type;
  }
  for (const char* adapter : {"validation", "dns", "placement"}) {
    auto s = Status(dev, id, adapter);
    EXPECT_EQ(s["observed_generation"], 1) << adapter;
    EXPECT_EQ(Cond(s, "Available", "reason"), "JobSucceeded") << adapter;
    EXPECT_FALSE(Cond(s, "Available", "message").empty()) << adapter;
  }

  // PATCH → generation 2 → every adapter runs again → reconciled at generation 2.
  auto patched = dev.Call("PATCH", "/clusters/" + id, {{"spec", {{"size", 2}}}});
  ASSERT_EQ(patched["generation"], 2);
  auto gen2 = dev.WaitFor(
      id,
      [](const json& c) {
        for (const auto& cond : c["status"]["conditions"]) {
          if (cond["type"] == "Reconciled") {
            return cond["status"] == "True" && cond["observed_generation"] == 2;
          }
        }
        return false;
      },
      std::chrono::seconds(60));
  EXPECT_EQ(DevStack::ConditionStatus(gen2, "Reconciled"), "True") << gen2.dump();
  EXPECT_EQ(Status(dev, id, "placement")["observed_generation"], 2);

  // DELETE → every adapter reports Finalized → the cluster is gone.
  EXPECT_EQ(dev.Call("DELETE", "/clusters/" + id)["http_status"], 202);
  auto gone = dev.WaitFor(id, [](const json& c) { return c["http_status"] == 404; },
                          std::chrono::seconds(60));
  EXPECT_EQ(gone["http_status"], 404) << gone.dump();
}

TEST(DevE2E, RestartKeepsClustersAndCtrlCStopsCleanly) {
  DevStack dev("0.1");
  auto created = dev.Call("POST", "/clusters", {{"kind", "Cluster"}, {"name", "keep-me"}, {"spec", json::object()}});
  ASSERT_EQ(created["http_status"], 201);
  EXPECT_EQ(dev.process().Stop(SIGINT), 0) << dev.process().Log();
  dev.Start();
  auto again = dev.Call("GET", "/clusters/" + created["id"].get<std::string>());
  EXPECT_EQ(again["http_status"], 200);
  EXPECT_EQ(again["name"], "keep-me");
  auto done = dev.WaitFor(
      created["id"], [](const json& c) { return DevStack::ConditionStatus(c, "Reconciled") == "True"; },
      std::chrono::seconds(60));
  EXPECT_EQ(DevStack::ConditionStatus(done, "Reconciled"), "True");
  EXPECT_EQ(dev.process().Stop(SIGTERM), 0);
}

TEST(DevE2E, TwentyConcurrentClustersAllReconcile) {
  DevStack dev("0.1");
  std::vector<std::string> ids(20);
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] {
      auto r = dev.Call("POST", "/clusters", {{"kind", "Cluster"}, {"name", "bulk-" + std::to_string(i)},
                                              {"spec", json::object()}});
      if (r.contains("id")) ids[i] = r["id"];
    });
  }
  for (auto& t : threads) t.join();
  auto start = std::chrono::steady_clock::now();
  for (const auto& id : ids) {
    ASSERT_FALSE(id.empty());
    auto c = dev.WaitFor(
        id, [](const json& x) { return DevStack::ConditionStatus(x, "Reconciled") == "True"; },
        std::chrono::seconds(90));
    EXPECT_EQ(DevStack::ConditionStatus(c, "Reconciled"), "True") << id;
  }
  std::cout << "20 clusters reconciled within "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - start)
                   .count()
            << " ms of the last create\n";
}

}  // namespace
}  // namespace hf::testing
