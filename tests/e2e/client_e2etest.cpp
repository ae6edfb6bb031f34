// The CLI client (`hyperfleet clusters|nodepools …`) against the real API on SQLite.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "common/time.hpp"
#include "testing/api_server.hpp"
#include "testing/process.hpp"

namespace hf::testing {
namespace {

using nlohmann::json;

int Lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

class ClientE2E : public ::testing::Test {
 protected:
  static std::unique_ptr<ApiServer>& Server() {
    static std::unique_ptr<ApiServer> server;
    return server;
  }
  static void TearDownTestSuite() { Server().reset(); }

  void SetUp() override {
    auto& slot = Server();
    if (!slot || !slot->process().Running()) slot = std::make_unique<ApiServer>("sqlite");
    api_ = slot.get();
    ASSERT_TRUE(api_->error().empty()) << api_->error();
  }

  // Runs `hyperfleet <args>` with HYPERFLEET_API_URL pointing at the test API.
  RunResult Cli(std::vector<std::string> args) {
    args.insert(args.begin(), HyperfleetBinary());
    return hf::testing::Run(args, {{"HYPERFLEET_API_URL", api_->base()}});
  }

  // `hyperfleet <args> -o json`, expecting success; the parsed output.
  json CliJson(std::vector<std::string> args) {
    args.insert(args.end(), {"-o", "json"});
    auto r = Cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    json j = json::parse(r.output, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.output;
    return j;
  }

  std::string Name(const std::string& prefix = "cli") {
    static int n = 0;
    return prefix + "-" + std::to_string(::getpid() % 10000) + "-" + std::to_string(++n);
  }

  std::string CreateCluster() {
    json c = CliJson({"clusters", "create", "--name", Name()});
    return c.value("id", "");
  }

  static json Report(const std::string& adapter, int64_t generation, const std::string& available) {
    return {{"adapter", adapter},
            {"observed_generation", generation},
            {"observed_time", FormatTime(Now())},
            {"conditions",
             {{{"type", "Available"},
               {"status", available},
               {"reason", "Done" + available},
               {"message", adapter + " finished"}},
              {{"type", "Applied"}, {"status", "True"}, {"reason", "JobLaunched"}},
              {{"type", "Health"}, {"status", "True"}, {"reason", "Healthy"}}}}};
  }

  ApiServer* api_ = nullptr;
};

TEST_F(ClientE2E, CreateGetAndListAsTablesAndJson) {
  std::string name = Name();
  auto created = Cli({"clusters", "create", "--name", name, "--spec", R"({"region":"eu"})",
                      "--label", "env=prod", "--label", "team=core"});
  ASSERT_EQ(created.exit_code, 0) << created.output;
  for (const char* part : {"Name:", "Generation:   1", "env=prod,team=core", R"({"region":"eu"})",
                           "CONDITION", "Reconciled", "ReconciledMissingAdapters",
                           "Watch it reconcile: hyperfleet clusters watch "}) {
    EXPECT_NE(created.output.find(part), std::string::npos) << part << "\n" << created.output;
  }
  EXPECT_NE(created.output.find(name), std::string::npos);

  json other = CliJson({"clusters", "create", "--name", Name()});
  EXPECT_EQ(other["kind"], "Cluster");
  EXPECT_EQ(other["spec"], json::object());
  EXPECT_EQ(other["generation"], 1);

  json listed = CliJson({"clusters", "list", "--search", "name='" + name + "'"});
  ASSERT_EQ(listed["total"], 1) << listed.dump();
  std::string id = listed["items"][0]["id"];
  EXPECT_EQ(listed["items"][0]["labels"]["team"], "core");

  auto got = Cli({"clusters", "get", id});
  ASSERT_EQ(got.exit_code, 0) << got.output;
  EXPECT_NE(got.output.find("ID:           " + id), std::string::npos) << got.output;
  EXPECT_EQ(CliJson({"clusters", "get", id})["name"], name);

  auto table = Cli({"clusters", "list", "--search", "name='" + name + "'"});
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_EQ(table.output.rfind("ID", 0), 0u) << table.output;
  for (const char* column : {"NAME", "GENERATION", "RECONCILED", "AGE"}) {
    EXPECT_NE(table.output.find(column), std::string::npos) << column;
  }
  EXPECT_NE(table.output.find(id + "   " + name + "   1"), std::string::npos) << table.output;
  EXPECT_EQ(Lines(table.output), 2) << table.output;

  auto paged = Cli({"clusters", "list", "--size", "1", "--order", "created_time desc"});
  ASSERT_EQ(paged.exit_code, 0) << paged.output;
  EXPECT_NE(paged.output.find(other["id"].get<std::string>()), std::string::npos) << paged.output;
  EXPECT_NE(paged.output.find("use --page N"), std::string::npos) << paged.output;
}

TEST_F(ClientE2E, PatchStatusesDeleteAndForceDelete) {
  std::string id = CreateCluster();
  ASSERT_FALSE(id.empty());
  json patched = CliJson({"clusters", "patch", id, "--spec", R"({"size":3})", "--label", "a=b"});
  EXPECT_EQ(patched["generation"], 2);
  EXPECT_EQ(patched["spec"], (json{{"size", 3}}));
  json relabelled = CliJson({"clusters", "patch", id, "--label", "c=d"});
  EXPECT_EQ(relabelled["labels"], (json{{"c", "d"}})) << "labels are replaced";
  EXPECT_EQ(relabelled["spec"], (json{{"size", 3}}));

  auto none = Cli({"clusters", "statuses", id});
  EXPECT_EQ(none.exit_code, 0) << none.output;
  EXPECT_EQ(none.output, "No adapter has reported yet.\n");
  ASSERT_EQ(api_->Put("/clusters/" + id + "/statuses", Report("validation", 3, "True")).status,
            201);
  auto statuses = Cli({"clusters", "statuses", id});
  ASSERT_EQ(statuses.exit_code, 0) << statuses.output;
  for (const char* part : {"ADAPTER", "validation", "Available", "DoneTrue", "validation finished",
                           "Health", "Healthy"}) {
    EXPECT_NE(statuses.output.find(part), std::string::npos) << part << "\n" << statuses.output;
  }
  EXPECT_EQ(CliJson({"clusters", "statuses", id})["items"][0]["adapter"], "validation");

  auto deleted = Cli({"clusters", "delete", id});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.output;
  EXPECT_NE(deleted.output.find("Deletion of cluster"), std::string::npos) << deleted.output;
  EXPECT_TRUE(CliJson({"clusters", "get", id}).contains("deleted_time"));

  auto forced = Cli({"clusters", "force-delete", id, "--reason", "cli e2e test"});
  ASSERT_EQ(forced.exit_code, 0) << forced.output;
  EXPECT_EQ(forced.output, "Force-deleted cluster " + id + ".\n");
  auto gone = Cli({"clusters", "get", id});
  EXPECT_EQ(gone.exit_code, 1) << gone.output;
  EXPECT_EQ(gone.output.rfind("error: 404 Resource Not Found: ", 0), 0u) << gone.output;
  EXPECT_EQ(Lines(gone.output), 1) << gone.output;
}

TEST_F(ClientE2E, NodepoolsLiveUnderTheirCluster) {
  std::string cluster = CreateCluster();
  std::string name = Name("np");
  json np = CliJson(
      {"nodepools", "create", "--cluster", cluster, "--name", name, "--spec", R"({"replicas":2})"});
  EXPECT_EQ(np["kind"], "NodePool");
  std::string id = np["id"];
  EXPECT_EQ(CliJson({"nodepools", "get", id, "--cluster", cluster})["owner_references"]["id"],
            cluster);
  json under = CliJson({"nodepools", "list", "--cluster", cluster});
  ASSERT_EQ(under["total"], 1) << under.dump();
  EXPECT_EQ(under["items"][0]["id"], id);
  auto flat = Cli({"nodepools", "list", "--search", "name='" + name + "'"});
  ASSERT_EQ(flat.exit_code, 0) << flat.output;
  EXPECT_NE(flat.output.find("CLUSTER"), std::string::npos) << flat.output;
  EXPECT_NE(flat.output.find(cluster), std::string::npos) << flat.output;
  EXPECT_EQ(
      CliJson({"nodepools", "patch", id, "--cluster", cluster, "--label", "x=y"})["labels"]["x"],
      "y");
  EXPECT_EQ(Cli({"nodepools", "statuses", id, "--cluster", cluster}).exit_code, 0);
  EXPECT_EQ(Cli({"nodepools", "delete", id, "--cluster", cluster}).exit_code, 0);
  EXPECT_EQ(Cli({"nodepools", "force-delete", id, "--cluster", cluster, "--reason", "t"}).exit_code,
            0);
  auto no_cluster = Cli({"nodepools", "get", id});
  EXPECT_EQ(no_cluster.exit_code, 2) << no_cluster.output;
  EXPECT_EQ(Lines(no_cluster.output), 1) << no_cluster.output;
}

TEST_F(ClientE2E, ErrorsAreOneLineWithTheRightExitCode) {
  std::string name = Name();
  ASSERT_EQ(Cli({"clusters", "create", "--name", name}).exit_code, 0);
  auto duplicate = Cli({"clusters", "create", "--name", name});
  EXPECT_EQ(duplicate.exit_code, 1);
  EXPECT_EQ(duplicate.output,
            "error: 409 Resource Conflict: This Cluster already exists (HYPERFLEET-CNF-001)\n");

  auto bad_spec = Cli({"clusters", "create", "--name", Name(), "--spec", "{region: eu}"});
  EXPECT_EQ(bad_spec.exit_code, 2);
  EXPECT_EQ(bad_spec.output.rfind("error: --spec is not valid JSON: parse error", 0), 0u)
      << bad_spec.output;
  EXPECT_EQ(Lines(bad_spec.output), 1) << bad_spec.output;
  auto no_file = Cli({"clusters", "create", "--name", Name(), "--spec", "@/nonexistent/spec.json"});
  EXPECT_EQ(no_file.exit_code, 2);
  EXPECT_EQ(no_file.output,
            "error: cannot read --spec file '/nonexistent/spec.json': No such file or directory\n");
  auto bad_label = Cli({"clusters", "create", "--name", Name(), "--label", "novalue"});
  EXPECT_EQ(bad_label.exit_code, 2);
  EXPECT_EQ(Lines(bad_label.output), 1) << bad_label.output;
  auto invalid_label = Cli({"clusters", "create", "--name", Name(), "--label", "-bad=x"});
  EXPECT_EQ(invalid_label.exit_code, 1) << invalid_label.output;
  EXPECT_EQ(Lines(invalid_label.output), 1) << invalid_label.output;
  EXPECT_NE(invalid_label.output.find("HYPERFLEET-VAL-000"), std::string::npos);

  auto too_big = Cli({"clusters", "list", "--size", "1000"});
  EXPECT_EQ(too_big.exit_code, 1);
  EXPECT_NE(too_big.output.find("size must be at most 100"), std::string::npos) << too_big.output;
  EXPECT_EQ(Lines(too_big.output), 1) << too_big.output;

  for (auto args : std::vector<std::vector<std::string>>{
           {"clusters", "list", "-o", "yaml"},
           {"clusters", "get"},
           {"clusters", "create"},
           {"clusters", "patch", "some-id"},
           {"clusters", "force-delete", "some-id"},
           {"clusters", "watch", "some-id", "--timeout", "soon"}}) {
    auto r = Cli(args);
    EXPECT_EQ(r.exit_code, 2) << args.back() << ": " << r.output;
    EXPECT_EQ(Lines(r.output), 1) << r.output;
  }

  std::string down = "http://127.0.0.1:" + std::to_string(FreePort());
  auto unreachable = Cli({"clusters", "list", "--api-url", down});
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_EQ(Lines(unreachable.output), 1) << unreachable.output;
  EXPECT_EQ(unreachable.output.rfind("error: cannot reach the HyperFleet API at " + down, 0), 0u)
      << unreachable.output;
  EXPECT_NE(unreachable.output.find("hyperfleet dev"), std::string::npos);
  EXPECT_NE(unreachable.output.find("make dev"), std::string::npos);
}

TEST_F(ClientE2E, WatchFollowsAdaptersUntilReconciled) {
  std::string id = CreateCluster();
  ASSERT_FALSE(id.empty());
  std::thread adapters([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    for (const char* adapter : {"validation", "dns", "placement"}) {
      auto r = api_->Put("/clusters/" + id + "/statuses", Report(adapter, 1, "True"));
      EXPECT_EQ(r.status, 201) << r.raw;
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
    }
  });
  auto start = std::chrono::steady_clock::now();
  auto watched = Cli({"clusters", "watch", id, "--timeout", "30s", "--interval", "100ms"});
  adapters.join();
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  std::cout << "[ClientE2E] create->reconciled watched in " << took.count() << " ms\n";
  ASSERT_EQ(watched.exit_code, 0) << watched.output;
  const std::string& out = watched.output;
  EXPECT_EQ(out.rfind("Watching cluster ", 0), 0u) << out;
  size_t first_missing = out.find("Reconciled                  False");
  size_t validation =
      out.find("validation/Available        True     gen 1  DoneTrue  validation finished");
  size_t dns = out.find("dns/Available               True");
  size_t placement = out.find("placement/Available         True");
  size_t reconciled = out.find("Reconciled                  True     gen 1");
  for (size_t at : {first_missing, validation, dns, placement, reconciled}) {
    ASSERT_NE(at, std::string::npos) << out;
  }
  // Changes seen in one poll print in key order, so only the order across polls is certain.
  for (size_t adapter : {validation, dns, placement}) {
    EXPECT_LT(first_missing, adapter) << out;
    EXPECT_LT(adapter, reconciled) << out;
  }
  EXPECT_NE(out.find("validation/Health"), std::string::npos) << out;
  EXPECT_NE(out.find("cluster " + id + " reconciled at generation 1"), std::string::npos) << out;
  // Each condition change is printed once.
  EXPECT_EQ(out.find("dns/Available", dns + 1), std::string::npos) << out;

  // Already reconciled: returns at once; -o json prints one JSON object per change.
  auto again = Cli({"clusters", "watch", id, "-o", "json"});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  size_t lines = 0;
  for (size_t pos = 0, end; (end = again.output.find('\n', pos)) != std::string::npos;
       pos = end + 1, ++lines) {
    json change = json::parse(again.output.substr(pos, end - pos), nullptr, false);
    ASSERT_TRUE(change.is_object()) << again.output;
    EXPECT_TRUE(change.contains("condition"));
  }
  EXPECT_EQ(lines, 10u) << again.output;  // 3 adapters x 3 conditions + Reconciled
}

TEST_F(ClientE2E, WatchTimesOutSayingWhatIsMissing) {
  std::string id = CreateCluster();
  ASSERT_EQ(api_->Put("/clusters/" + id + "/statuses", Report("validation", 1, "True")).status,
            201);
  ASSERT_EQ(api_->Put("/clusters/" + id + "/statuses", Report("dns", 1, "False")).status, 201);
  auto watched = Cli({"clusters", "watch", id, "--timeout", "1s", "--interval", "200ms"});
  EXPECT_EQ(watched.exit_code, 1) << watched.output;
  size_t at = watched.output.find("error: timed out after 1s: cluster " + id +
                                  " is not reconciled at generation 1: Reconciled=False");
  ASSERT_NE(at, std::string::npos) << watched.output;
  std::string error = watched.output.substr(at);
  EXPECT_EQ(Lines(error), 1) << error;
  EXPECT_NE(error.find("placement"), std::string::npos) << error;
  EXPECT_NE(error.find("dns: Available=False at generation 1 (DoneFalse: dns finished)"),
            std::string::npos)
      << error;

  // An unreachable API is retried until the timeout, noted once.
  std::string down = "http://127.0.0.1:" + std::to_string(FreePort());
  auto unreachable =
      Cli({"clusters", "watch", id, "--api-url", down, "--timeout", "1s", "--interval", "200ms"});
  EXPECT_EQ(unreachable.exit_code, 1) << unreachable.output;
  EXPECT_EQ(Lines(unreachable.output), 2) << unreachable.output;
  EXPECT_EQ(unreachable.output.rfind("warning: cannot reach the HyperFleet API at " + down, 0), 0u)
      << unreachable.output;
  EXPECT_NE(unreachable.output.find("error: timed out after 1s: cluster never observed: cannot "
                                    "reach the HyperFleet API"),
            std::string::npos)
      << unreachable.output;

  auto missing = Cli({"clusters", "watch", "0198c9e2-0000-7000-8000-000000000000"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.output.rfind("error: 404 Resource Not Found", 0), 0u) << missing.output;
}

}  // namespace
}  // namespace hf::testing
