// deploy/dashboards/*.json (Grafana): the six dashboards exist, every panel query parses as
// PromQL (`promtool check rules` on a rules file of one recording rule per query), and every
// metric a query names is exported by a running `hyperfleet dev` that has reconciled a cluster,
// with the labels the query selects on: no panel points at a metric that does not exist.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "deploy/repo_files.hpp"
#include "testing/env.hpp"
#include "testing/http_connection.hpp"
#include "testing/process.hpp"

namespace hf::deploy_test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

fs::path DashboardsDir() { return SourceDir() / "deploy" / "dashboards"; }

// One panel query.
struct Query {
  std::string where;  // file, panel title, refId
  std::string expr;
};

std::vector<Query> AllQueries(std::set<std::string>* files) {
  std::vector<Query> out;
  for (const auto& e : fs::directory_iterator(DashboardsDir())) {
    if (e.path().extension() != ".json") continue;
    files->insert(e.path().stem().string());
    const json d = json::parse(ReadFile(e.path()));
    for (const auto& panel : d.at("panels")) {
      for (const auto& t : panel.at("targets")) {
        out.push_back({e.path().filename().string() + " / " + panel.value("title", "?") + " / " +
                           t.value("refId", "?"),
                       t.value("expr", "")});
      }
    }
  }
  return out;
}

// What a query names: metric -> the label names its selectors match on ({name="…"}).
std::map<std::string, std::set<std::string>> MetricsIn(const std::string& expr) {
  std::map<std::string, std::set<std::string>> out;
  static const std::regex metric(R"((hyperfleet_[a-z0-9_]+)(\{([^}]*)\})?)");
  static const std::regex matcher(R"(([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=))");
  for (std::sregex_iterator it(expr.begin(), expr.end(), metric), end; it != end; ++it) {
    auto& labels = out[(*it)[1]];
    const std::string selectors = (*it)[3];
    for (std::sregex_iterator m(selectors.begin(), selectors.end(), matcher); m != end; ++m) {
      labels.insert((*m)[1]);
    }
  }
  return out;
}

// The label names of `by (…)` clauses in a query.
std::set<std::string> GroupingLabels(const std::string& expr) {
  std::set<std::string> out;
  static const std::regex by(R"(by\s*\(([^)]*)\))");
  static const std::regex name(R"([a-zA-Z_][a-zA-Z0-9_]*)");
  for (std::sregex_iterator it(expr.begin(), expr.end(), by), end; it != end; ++it) {
    const std::string list = (*it)[1];
    for (std::sregex_iterator n(list.begin(), list.end(), name); n != end; ++n) {
      out.insert((*n)[0]);
    }
  }
  return out;
}

// A /metrics page: the series names it declares (# TYPE; a histogram's _bucket, _sum and
// _count too), the label names its samples carry per series name, and sample values.
struct Scrape {
  std::set<std::string> names;
  std::map<std::string, std::set<std::string>> labels;
  std::map<std::string, double> samples;  // the whole sample text before the value -> value

  // The value of sample `series` (name and labels as rendered), 0 when absent.
  double Value(const std::string& series) const {
    auto it = samples.find(series);
    return it == samples.end() ? 0 : it->second;
  }

  explicit Scrape(const std::string& text) {
    std::istringstream in(text);
    static const std::regex type(R"(# TYPE (\S+) (\S+))");
    static const std::regex sample(R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+))");
    static const std::regex label(R"(([a-zA-Z_][a-zA-Z0-9_]*)=")");
    for (std::string line; std::getline(in, line);) {
      std::smatch m;
      if (std::regex_match(line, m, type)) {
        names.insert(m[1]);
        if (m[2] == "histogram") {
          for (const char* suffix : {"_bucket", "_sum", "_count"})
            names.insert(m[1].str() + suffix);
        }
      } else if (std::regex_match(line, m, sample)) {
        auto& l = labels[m[1]];
        const std::string inner = m[3];
        for (std::sregex_iterator it(inner.begin(), inner.end(), label), end; it != end; ++it) {
          l.insert((*it)[1]);
        }
        samples[m[1].str() + m[2].str()] = std::stod(m[4]);
      }
    }
  }
};

TEST(Dashboards, TheSixExistAndEveryQueryParses) {
  std::set<std::string> files;
  const auto queries = AllQueries(&files);
  EXPECT_EQ(files, (std::set<std::string>{"adapters", "api", "broker", "fleet-overview", "outbox",
                                          "ticker"}));
  ASSERT_GE(queries.size(), 30u);
  const std::string promtool = FindOnPath("promtool");
  if (promtool.empty()) {
    if (::hf::testing::UnderTestServices()) {
      GTEST_FAIL() << "promtool is not on PATH although this is `make test`";
    }
    GTEST_SKIP() << "promtool is not on PATH (scripts/install-deps.sh installs it)";
  }
  // One recording rule per query (JSON is YAML); promtool parses each expression.
  json rules = {{"groups", json::array({{{"name", "dashboards"}, {"rules", json::array()}}})}};
  int n = 0;
  for (const auto& q : queries) {
    ASSERT_FALSE(q.expr.empty()) << q.where;
    ASSERT_EQ(q.expr.find('$'), std::string::npos)
        << q.where << ": a Grafana variable, which promtool cannot check";
    rules["groups"][0]["rules"].push_back(
        {{"record", "dashboard:query_" + std::to_string(++n)}, {"expr", q.expr}});
  }
  const fs::path tmp = ::hf::testing::MakeTempDir("hf-dashboards");
  std::ofstream(tmp / "queries.rules.yaml") << rules.dump(2);
  auto run =
      ::hf::testing::Run({promtool, "check", "rules", (tmp / "queries.rules.yaml").string()});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  // A query that is not PromQL fails the same check.
  rules["groups"][0]["rules"].push_back(
      {{"record", "dashboard:broken"}, {"expr", "sum by (adapter (rate(x[5m]))"}});
  std::ofstream(tmp / "broken.rules.yaml") << rules.dump(2);
  run = ::hf::testing::Run({promtool, "check", "rules", (tmp / "broken.rules.yaml").string()});
  EXPECT_NE(run.exit_code, 0) << run.output;
  fs::remove_all(tmp);
}

TEST(Dashboards, EveryMetricTheyNameIsExportedByHyperfleetDev) {
  std::set<std::string> files;
  const auto queries = AllQueries(&files);
  ASSERT_FALSE(queries.empty());

  // `hyperfleet dev`: API, outbox, tickers, adapters and broker in one process, so one scrape
  // sees every component's series. A cluster reconciled end to end (its jobs run and report)
  // makes the labelled series appear.
  const std::string dir = ::hf::testing::MakeTempDir("hf-dashboards-dev");
  const int port = ::hf::testing::FreePort();
  const int metrics_port = ::hf::testing::FreePort();
  auto dev = std::make_unique<::hf::testing::Process>(
      std::vector<std::string>{::hf::testing::HyperfleetBinary(), "dev", "--data-dir",
                               dir + "/data", "--port", std::to_string(port), "--health-port",
                               std::to_string(::hf::testing::FreePort()), "--metrics-port",
                               std::to_string(metrics_port), "--poll-interval", "300ms",
                               "--debounce", "0s"},
      std::map<std::string, std::string>{}, dir + "/dev.log");
  ASSERT_TRUE(::hf::testing::WaitForPort(port, 30s)) << dev->Log();
  ASSERT_TRUE(::hf::testing::WaitForPort(metrics_port, 30s)) << dev->Log();
  const std::map<std::string, std::string> env = {
      {"HYPERFLEET_API_URL", "http://localhost:" + std::to_string(port)}};
  auto created =
      ::hf::testing::RunHyperfleet({"clusters", "create", "--name", "watched", "-o", "json"}, env);
  ASSERT_EQ(created.exit_code, 0) << created.output;
  const std::string id = json::parse(created.output).value("id", "");
  auto watched = ::hf::testing::RunHyperfleet({"clusters", "watch", id, "--timeout", "60s"}, env);
  ASSERT_EQ(watched.exit_code, 0) << watched.output << dev->Log();

  ::hf::testing::HttpConnection c(metrics_port);
  ASSERT_TRUE(c.Send("GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
  const auto reply = c.Read();
  ASSERT_EQ(reply.status, 200);
  const Scrape scrape(reply.body);

  for (const auto& q : queries) {
    const auto named = MetricsIn(q.expr);
    EXPECT_FALSE(named.empty()) << q.where << " names no HyperFleet metric: " << q.expr;
    std::set<std::string> available;  // labels of every metric the query names
    for (const auto& [metric, selected] : named) {
      EXPECT_TRUE(scrape.names.contains(metric))
          << q.where << ": " << metric << " is not exported by hyperfleet dev";
      const auto it = scrape.labels.find(metric);
      if (it == scrape.labels.end()) continue;  // declared, no sample yet: labels unknown
      available.insert(it->second.begin(), it->second.end());
      for (const auto& label : selected) {
        EXPECT_TRUE(it->second.contains(label))
            << q.where << ": " << metric << " has no label " << label;
      }
    }
    for (const auto& label : GroupingLabels(q.expr)) {
      if (label == "le" || available.empty()) continue;
      EXPECT_TRUE(available.contains(label)) << q.where << ": grouped by missing label " << label;
    }
  }

  // The series added for the dashboards carry what the reconciliation did.
  EXPECT_GE(scrape.Value("hyperfleet_api_reconciliation_duration_seconds_count{resource_type="
                         "\"clusters\"}"),
            1)
      << reply.body;
  for (const char* adapter : {"validation", "dns", "placement"}) {
    const std::string labels = std::string("{adapter=\"") + adapter + "\",result=\"succeeded\"}";
    EXPECT_GE(scrape.Value("hyperfleet_adapter_jobs_finished_total" + labels), 1) << adapter;
    EXPECT_GE(scrape.Value("hyperfleet_adapter_job_duration_seconds_count" + labels), 1) << adapter;
  }
  dev.reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace hf::deploy_test
