// `hyperfleet adapter --dry-run` on the shipped example adapters: golden files under
// testdata/dry_run/ hold each case's input (config, event, canned API answers, job, Kubernetes
// objects) and the
// document the real binary must print (observed_time left out, the source tree as $SRC). Run
// with HF_UPDATE_GOLDENS=1 to rewrite the expectations, then review the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "testing/env.hpp"
#include "testing/process.hpp"

namespace hf {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kGoldens = testing::SourceDir() + "/tests/e2e/testdata/dry_run";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

class DryRunGoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DryRunGoldenTest, PrintsWhatTheAdapterWouldDo) {
  const std::string path = kGoldens + "/" + GetParam() + ".json";
  json golden = json::parse(std::ifstream(path));
  const std::string dir = testing::MakeTempDir("hf-dry-run");
  std::vector<std::string> args = {"adapter", "--config",
                                   testing::SourceDir() + "/" + golden["config"].get<std::string>(),
                                   "--dry-run"};
  for (auto [key, flag] : {std::pair{"event", "--event"},
                           {"api_responses", "--api-responses"},
                           {"job", "--job"},
                           {"kube_objects", "--kube-objects"}}) {
    if (!golden.contains(key)) continue;
    std::ofstream(dir + "/" + key + ".json") << golden[key].dump();
    args.insert(args.end(), {flag, dir + "/" + key + ".json"});
  }
  auto run = testing::RunHyperfleet(args);
  fs::remove_all(dir);
  json out = json::parse(Replace(run.output, testing::SourceDir(), "$SRC"), nullptr, false);
  ASSERT_FALSE(out.is_discarded()) << run.output;
  if (out.contains("report")) out["report"].erase("observed_time");
  if (std::getenv("HF_UPDATE_GOLDENS") != nullptr) {
    golden["exit_code"] = run.exit_code;
    golden["expect"] = out;
    std::ofstream(path) << golden.dump(2) << "\n";
    GTEST_SKIP() << "rewrote " << path;
  }
  EXPECT_EQ(run.exit_code, golden["exit_code"].get<int>()) << run.output;
  EXPECT_EQ(out, golden["expect"]) << "got:\n" << out.dump(2);
}

std::vector<std::string> Cases() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(kGoldens)) {
    if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(Examples, DryRunGoldenTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// Bad input fails with one line and exit 2: the config's file, key and column; a missing event.
TEST(DryRunTest, BadConfigOrInputIsOneLineAndExitTwo) {
  const std::string dir = testing::MakeTempDir("hf-dry-run-bad");
  std::ofstream(dir + "/bad.yaml") << "name: dns\npreconditions:\n"
                                      "  - {name: p, expression: 'resource.spec.region ==='}\n"
                                      "job: {command: /bin/true}\n";
  std::ofstream(dir + "/event.json") << R"({"id": "c1", "kind": "Cluster"})";
  auto bad = testing::RunHyperfleet(
      {"adapter", "--config", dir + "/bad.yaml", "--dry-run", "--event", dir + "/event.json"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(bad.output.starts_with("hyperfleet adapter: " + dir +
                                     "/bad.yaml: preconditions[0].expression: column "))
      << bad.output;
  EXPECT_EQ(std::count(bad.output.begin(), bad.output.end(), '\n'), 1) << bad.output;

  const std::string good = testing::SourceDir() + "/deploy/adapters/validation.yaml";
  auto no_event = testing::RunHyperfleet({"adapter", "--config", good, "--dry-run"});
  EXPECT_EQ(no_event.exit_code, 2);
  EXPECT_EQ(no_event.output, "hyperfleet adapter --dry-run: --event FILE is required\n");

  std::ofstream(dir + "/junk.json") << "{not json";
  auto junk = testing::RunHyperfleet(
      {"adapter", "--config", good, "--dry-run", "--event", dir + "/junk.json"});
  EXPECT_EQ(junk.exit_code, 2);
  EXPECT_EQ(junk.output,
            "hyperfleet adapter --dry-run: --event: " + dir + "/junk.json is not JSON\n");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hf
