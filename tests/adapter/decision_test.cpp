// Decide and BuildStatus: params → preconditions → job spec → the report, with the status
// templates applied, for configs written the way authors write them.
#include "adapter/decision.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "testing/env.hpp"

namespace hf::adapter {
namespace {

using nlohmann::json;

const json kCluster = {
    {"id", "c1"},
    {"kind", "Cluster"},
    {"name", "prod-eu"},
    {"generation", 3},
    {"spec", {{"region", "eu-west"}}},
    {"status",
     {{"conditions",
       {{{"type", "ValidationSuccessful"}, {"status", "True"}, {"observed_generation", 3}}}}}}};

jobs::JobState Job(jobs::JobPhase phase, std::string reason = "", std::string message = "",
                   json data = nullptr) {
  jobs::JobState s;
  s.phase = phase;
  s.reason = std::move(reason);
  s.message = std::move(message);
  s.data = std::move(data);
  if (jobs::Finished(phase)) s.exit_code = phase == jobs::JobPhase::kSucceeded ? 0 : 1;
  return s;
}

class DecisionTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = hf::testing::MakeTempDir("hf-decision"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  AdapterConfig Config(const std::string& yaml) {
    auto c = ParseAdapterConfig(yaml, dir_, "test.yaml");
    EXPECT_TRUE(c) << c.error().message;
    return c ? std::move(*c) : AdapterConfig{};
  }
  static std::expected<Decision, PhaseError> Run(const AdapterConfig& c,
                                                 const json& resource = kCluster) {
    ApiGet none = [](const std::string& path) -> Result<json> {
      return Fail(ErrorCode::kNotFound, path);
    };
    return Decide(c, resource, {{"id", "c1"}, {"kind", "Cluster"}}, none);
  }
  static std::map<std::string, ReportCondition> ByType(const std::vector<ReportCondition>& cs) {
    std::map<std::string, ReportCondition> out;
    for (const auto& c : cs) out[c.type] = c;
    return out;
  }

  std::string dir_;
};

constexpr const char* kDns = R"(
name: dns
params:
  - {name: zone, resource: spec.dns_zone, default: example.com}
preconditions:
  - name: validated
    expression: >-
      resource.status.conditions.exists(c, c.type == "ValidationSuccessful" &&
        c.status == "True" && c.observed_generation == generation)
  - {name: in-europe, expression: 'resource.spec.region.startsWith("eu")'}
job:
  command: /bin/true
  env: {ZONE: "{{zone}}", WHERE: "{{resource.spec.region}}-{{generation}}"}
status:
  conditions:
    - type: Available
      message: >-
        job != null && job.phase == "succeeded" ? "records in " + zone
          : defaults.Available.message
    - type: Resolvable
      status: job != null && job.phase == "succeeded"
      reason: '"Zone" + (preconditions.met ? "Ready" : "Waiting")'
      message: 'preconditions.met ? zone : preconditions.message'
  data: '{"zone": zone, "checks": preconditions.results}'
)";

TEST_F(DecisionTest, MetPreconditionsGiveTheJobWithRenderedTemplates) {
  const auto c = Config(kDns);
  auto d = Run(c);
  ASSERT_TRUE(d) << d.error().error.message;
  EXPECT_TRUE(d->preconditions.met);
  ASSERT_TRUE(d->job);
  EXPECT_EQ(d->job->name, "dns-c1-3");
  EXPECT_EQ(d->job->env.at("ZONE"), "example.com");
  EXPECT_EQ(d->job->env.at("WHERE"), "eu-west-3");
  EXPECT_EQ(d->job->generation, 3);
  EXPECT_EQ(json::parse(d->job->resource_json), kCluster);

  jobs::JobState running = Job(jobs::JobPhase::kRunning);
  running.name = "dns-c1-3";
  auto report = BuildStatus(c, *d, &running);
  ASSERT_TRUE(report) << report.error().error.message;
  auto by = ByType(report->conditions);
  EXPECT_EQ(by["Available"].message, "job dns-c1-3 is running");  // the default, kept
  EXPECT_EQ(by["Resolvable"].status, "False");
  EXPECT_EQ(by["Resolvable"].reason, "ZoneReady");
  EXPECT_EQ(by["Applied"].reason, "JobLaunched");
  EXPECT_EQ(report->data, json({{"zone", "example.com"},
                                {"checks", {{"validated", true}, {"in-europe", true}}}}));

  const jobs::JobState done = Job(jobs::JobPhase::kSucceeded, "Created", "ok", {{"records", 2}});
  report = BuildStatus(c, *d, &done);
  ASSERT_TRUE(report) << report.error().error.message;
  by = ByType(report->conditions);
  EXPECT_EQ(by["Available"].status, "True");
  EXPECT_EQ(by["Available"].message, "records in example.com");
  EXPECT_EQ(by["Resolvable"].status, "True");
  EXPECT_EQ(report->data["job"]["data"], json({{"records", 2}}));  // the default data stays
  EXPECT_EQ(report->data["zone"], "example.com");
}

TEST_F(DecisionTest, UnmetPreconditionsAreNamedAndReportedThroughTheTemplates) {
  const auto c = Config(kDns);
  json cluster = kCluster;
  cluster["spec"]["region"] = "us-east";
  cluster["generation"] = 4;
  auto d = Run(c, cluster);
  ASSERT_TRUE(d) << d.error().error.message;
  EXPECT_FALSE(d->preconditions.met);
  EXPECT_FALSE(d->job);
  EXPECT_EQ(d->preconditions.message, "validated is false; in-europe is false");
  auto report = BuildStatus(c, *d, nullptr);
  ASSERT_TRUE(report) << report.error().error.message;
  auto by = ByType(report->conditions);
  EXPECT_EQ(by["Applied"].reason, "PreconditionsNotMet");
  EXPECT_EQ(by["Applied"].message, "preconditions not met: validated is false; in-europe is false");
  EXPECT_EQ(by["Resolvable"].reason, "ZoneWaiting");
  EXPECT_EQ(by["Resolvable"].message, "validated is false; in-europe is false");
}

TEST_F(DecisionTest, WithoutTemplatesTheReportIsTheDefault) {
  const auto c = Config("name: validation\njob: {command: /bin/true}\n");
  auto d = Run(c);
  ASSERT_TRUE(d);
  jobs::JobState failed = Job(jobs::JobPhase::kFailed, "Invalid", "bad spec");
  failed.name = "validation-c1-3";
  auto report = BuildStatus(c, *d, &failed);
  ASSERT_TRUE(report);
  const auto expected = JobConditions(failed, c.reasons);
  ASSERT_EQ(report->conditions.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(report->conditions[i].type, expected[i].type);
    EXPECT_EQ(report->conditions[i].message, expected[i].message);
  }
  EXPECT_EQ(report->metadata["job_phase"], "failed");
  EXPECT_EQ(report->data["job"]["reason"], "Invalid");
}

TEST_F(DecisionTest, EvaluationFailuresNameTheirPhase) {
  auto d =
      Run(Config("name: a\npreconditions:\n  - {name: p, expression: 'resource.spec.nope'}\n"
                 "job: {command: /bin/true}\n"));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().phase, "preconditions");
  EXPECT_TRUE(d.error().error.message.starts_with("precondition 'p': ")) << d.error().error.message;

  d =
      Run(Config("name: a\npreconditions:\n  - {name: p, expression: 'resource.spec.region'}\n"
                 "job: {command: /bin/true}\n"));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().error.message, "precondition 'p': gives a string, not a bool");

  d = Run(Config("name: a\njob:\n  command: /bin/true\n  env: {X: '{{resource.spec}}'}\n"));
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().phase, "job");
  EXPECT_EQ(d.error().error.message, "job.env.X: {{ resource.spec }}: gives a map, not text");

  const auto c = Config(
      "name: a\njob: {command: /bin/true}\nstatus:\n  conditions:\n"
      "    - {type: Available, status: '\"Maybe\"'}\n");
  d = Run(c);
  ASSERT_TRUE(d);
  const jobs::JobState running = Job(jobs::JobPhase::kRunning);
  auto report = BuildStatus(c, *d, &running);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().phase, "status");
  EXPECT_EQ(report.error().error.message,
            "status.conditions[Available].status: gives 'Maybe', not a bool or True/False/Unknown");
}

TEST_F(DecisionTest, StatusConfigErrors) {
  auto error = [&](const std::string& status) {
    auto c = ParseAdapterConfig("name: a\njob: {command: /bin/true}\nstatus:\n" + status, dir_,
                                "test.yaml");
    EXPECT_FALSE(c) << status;
    return c ? "" : c.error().message;
  };
  EXPECT_EQ(error("  conditions:\n    - {type: Placed, status: 'true'}\n"),
            "test.yaml: status.conditions[0]: a condition of its own (Placed) needs status, "
            "reason and message");
  EXPECT_EQ(error("  conditions:\n    - {type: placed, status: 'true'}\n"),
            "test.yaml: status.conditions[0].type: is required: a condition type like Available "
            "or DnsReady");
  EXPECT_EQ(error("  conditions:\n    - {type: Available, message: 'jobs.phase'}\n"),
            "test.yaml: status.conditions[0].message: unknown variable 'jobs' (known here: "
            "adapter, cluster_id, defaults, event, generation, job, preconditions, resource, "
            "resources)");
  EXPECT_NE(error("  data: '{'\n").find("test.yaml: status.data: column "), std::string::npos);
  EXPECT_NE(error("  conditions:\n    - {type: Available, status: 'true'}\n"
                  "    - {type: Available, status: 'false'}\n")
                .find("'Available' is listed twice"),
            std::string::npos);
}

}  // namespace
}  // namespace hf::adapter
