// deploy/alerts/hyperfleet.rules.yaml: `promtool check rules` accepts it, it holds the alerts
// README.md lists, each with a severity, a summary and a runbook, and `promtool test rules` runs
// hyperfleet.rules.test.yaml on it, where every alert fires on one synthetic series and stays
// quiet on another.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "deploy/repo_files.hpp"
#include "testing/env.hpp"
#include "testing/process.hpp"

namespace hf::deploy_test {
namespace {

namespace fs = std::filesystem;

fs::path AlertsDir() { return SourceDir() / "deploy" / "alerts"; }

// The alerts the issue asks for (#19) and README.md's alert list names.
const std::set<std::string> kAlerts = {
    "HyperFleetAPIDown",
    "HyperFleetAPIErrorRatio",
    "HyperFleetAPIInternalErrors",
    "HyperFleetDatabaseUnavailable",
    "HyperFleetOutboxOldestUnpublished",
    "HyperFleetOutboxDepthGrowing",
    "HyperFleetBrokerPublishErrors",
    "HyperFleetMessagesDeadLettered",
    "HyperFleetTickerNotPolling",
    "HyperFleetResourcesStuck",
    "HyperFleetAdapterNacking",
    "HyperFleetAdapterJobsFailing",
};

class AlertRules : public ::testing::Test {
 protected:
  void SetUp() override {
    promtool_ = FindOnPath("promtool");
    if (promtool_.empty()) {
      if (::hf::testing::UnderTestServices()) {
        GTEST_FAIL() << "promtool is not on PATH although this is `make test`: "
                     << "scripts/install-deps.sh installs it (package prometheus)";
      }
      GTEST_SKIP() << "promtool is not on PATH (scripts/install-deps.sh installs it)";
    }
    tmp_ = ::hf::testing::MakeTempDir("hf-alerts");
    ASSERT_FALSE(tmp_.empty());
  }
  void TearDown() override {
    std::error_code ec;
    if (!tmp_.empty()) fs::remove_all(tmp_, ec);
  }
  ::hf::testing::RunResult Promtool(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {promtool_};
    argv.insert(argv.end(), args.begin(), args.end());
    return ::hf::testing::Run(argv);
  }

  std::string promtool_;
  fs::path tmp_;
};

TEST_F(AlertRules, PromtoolAcceptsTheRules) {
  auto run = Promtool({"check", "rules", (AlertsDir() / "hyperfleet.rules.yaml").string()});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("SUCCESS: " + std::to_string(kAlerts.size()) + " rules found"),
            std::string::npos)
      << run.output;
}

TEST_F(AlertRules, EveryListedAlertHasASeveritySummaryAndRunbook) {
  const auto rules = YAML::LoadFile((AlertsDir() / "hyperfleet.rules.yaml").string());
  std::set<std::string> alerts;
  for (const auto& group : rules["groups"]) {
    for (const auto& rule : group["rules"]) {
      const std::string name = rule["alert"].as<std::string>("");
      ASSERT_FALSE(name.empty()) << "a recording rule, or an alert without a name";
      EXPECT_TRUE(alerts.insert(name).second) << name << " twice";
      const std::string severity = rule["labels"]["severity"].as<std::string>("");
      EXPECT_TRUE(severity == "critical" || severity == "warning") << name << ": " << severity;
      EXPECT_FALSE(rule["annotations"]["summary"].as<std::string>("").empty()) << name;
      // A runbook says what it means, where to look and what to do: a paragraph, not a line.
      EXPECT_GE(rule["annotations"]["runbook"].as<std::string>("").size(), 200u) << name;
    }
  }
  EXPECT_EQ(alerts, kAlerts);
}

// promtool compares an alert's annotations verbatim, so the unit tests run on a copy of the
// rules without them (their templates are checked by `promtool check rules` above).
TEST_F(AlertRules, EachAlertFiresAndStaysQuietInTheUnitTests) {
  auto rules = YAML::LoadFile((AlertsDir() / "hyperfleet.rules.yaml").string());
  for (auto group : rules["groups"]) {
    for (auto rule : group["rules"]) rule.remove("annotations");
  }
  {
    YAML::Emitter out;
    out << rules;
    std::ofstream(tmp_ / "hyperfleet.rules.yaml") << out.c_str() << "\n";
  }
  fs::copy_file(AlertsDir() / "hyperfleet.rules.test.yaml", tmp_ / "hyperfleet.rules.test.yaml");
  auto run = Promtool({"test", "rules", (tmp_ / "hyperfleet.rules.test.yaml").string()});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("SUCCESS"), std::string::npos) << run.output;

  // Every alert has a case where it fires and one where it does not.
  std::map<std::string, std::pair<bool, bool>> seen;  // alert -> {fires, quiet}
  const auto tests = YAML::LoadFile((AlertsDir() / "hyperfleet.rules.test.yaml").string());
  for (const auto& t : tests["tests"]) {
    for (const auto& a : t["alert_rule_test"]) {
      auto& s = seen[a["alertname"].as<std::string>()];
      (a["exp_alerts"].size() > 0 ? s.first : s.second) = true;
    }
  }
  for (const auto& name : kAlerts) {
    EXPECT_TRUE(seen[name].first) << name << " is never shown to fire";
    EXPECT_TRUE(seen[name].second) << name << " is never shown to stay quiet";
  }
}

}  // namespace
}  // namespace hf::deploy_test
