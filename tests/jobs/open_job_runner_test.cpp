// OpenJobRunner: the backend named by the config opens and runs a job through the JobRunner
// interface; an unknown backend or incomplete options are a clear kInvalidArgument.
#include "jobs/open_job_runner.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "testing/env.hpp"
#include "testing/fake_kube_api.hpp"

namespace hf::jobs {
namespace {

using namespace std::chrono_literals;

JobSpec Spec() {
  JobSpec s;
  s.name = "validation-c1-1";
  s.resource_id = "c1";
  s.generation = 1;
  s.resource_json = R"({"id":"c1","generation":1})";
  s.argv = {"sh", "-c", R"(echo '{"status":"success","reason":"Fine"}' > "$RESULT_FILE")"};
  s.timeout = 30s;
  return s;
}

TEST(OpenJobRunnerTest, UnknownBackendIsAClearError) {
  JobRunnerConfig config;
  config.backend = "nomad";
  auto r = OpenJobRunner(config);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "unknown job runner 'nomad' (expected local or kubernetes)");
}

TEST(OpenJobRunnerTest, LocalOpensAndRunsAJob) {
  const std::string dir = hf::testing::MakeTempDir("hf-open-jobs");
  {
    JobRunnerConfig config;  // local is the default backend
    config.local.state_dir = dir + "/state";
    auto runner = OpenJobRunner(config);
    ASSERT_TRUE(runner) << runner.error().ToString();
    auto created = (*runner)->CreateIfAbsent(Spec());
    ASSERT_TRUE(created) << created.error().ToString();
    EXPECT_TRUE(created->created);
    std::optional<JobState> state;
    for (int i = 0; i < 1000 && !(state && Finished(state->phase)); ++i) {
      std::this_thread::sleep_for(10ms);
      auto got = (*runner)->Get("validation-c1-1");
      ASSERT_TRUE(got) << got.error().ToString();
      state = *got;
    }
    ASSERT_TRUE(state);
    EXPECT_EQ(state->phase, JobPhase::kSucceeded);
    EXPECT_EQ(state->reason, "Fine");
    EXPECT_TRUE(std::filesystem::is_directory(dir + "/state/validation-c1-1"));
  }
  std::filesystem::remove_all(dir);

  JobRunnerConfig no_dir;
  auto r = OpenJobRunner(no_dir);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "local job runner: state_dir is required");
}

TEST(OpenJobRunnerTest, KubernetesOpensAndCreatesAJob) {
  hf::testing::FakeKubeApi api;
  JobRunnerConfig config;
  config.backend = "kubernetes";
  config.local.state_dir = "";  // not read by this backend
  config.kubernetes.adapter = "validation";
  config.kubernetes.namespace_name = "hf-test";
  config.kubernetes.pod.image = "hyperfleet:latest";
  config.kubernetes.pod.command = {"/bin/job.sh"};
  kube::KubeConnection connection;
  connection.server = api.url();
  connection.token = "test-token";
  config.kubernetes.connection = connection;
  auto runner = OpenJobRunner(config);
  ASSERT_TRUE(runner) << runner.error().ToString();
  auto created = (*runner)->CreateIfAbsent(Spec());
  ASSERT_TRUE(created) << created.error().ToString();
  EXPECT_TRUE(created->created);
  EXPECT_TRUE(api.Job("hf-test", "validation-c1-1"));
  auto listed = (*runner)->ListByResource("c1");
  ASSERT_TRUE(listed) << listed.error().ToString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].resource_id, "c1");

  config.kubernetes.pod.image.clear();
  ::unsetenv("HYPERFLEET_IMAGE");
  auto no_image = OpenJobRunner(config);
  ASSERT_FALSE(no_image);
  EXPECT_EQ(no_image.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(no_image.error().message.find("no image"), std::string::npos)
      << no_image.error().message;
}

}  // namespace
}  // namespace hf::jobs
