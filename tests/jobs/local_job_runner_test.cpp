// LocalJobRunner: real child processes in a temp state directory.
#include "jobs/local_job_runner.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "testing/env.hpp"

namespace hf::jobs {
namespace {

using namespace std::chrono_literals;

class LocalJobRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = hf::testing::MakeTempDir("hf-jobs");
    runner_ = Open();
  }
  void TearDown() override {
    runner_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<LocalJobRunner> Open() {
    auto r = LocalJobRunner::Open({.state_dir = dir_ + "/state"});
    EXPECT_TRUE(r) << r.error().ToString();
    return std::move(*r);
  }

  static JobSpec Spec(const std::string& name, const std::string& script, Duration timeout = 30s) {
    JobSpec s;
    s.name = name;
    s.resource_id = "c1";
    s.generation = 2;
    s.resource_json = R"({"id":"c1","generation":2})";
    s.argv = {"sh", "-c", script};
    s.timeout = timeout;
    return s;
  }

  static JobState WaitFinished(JobRunner& runner, const std::string& name) {
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline) {
      auto s = runner.Get(name);
      if (s && *s && Finished((*s)->phase)) return **s;
      std::this_thread::sleep_for(20ms);
    }
    ADD_FAILURE() << "job " << name << " did not finish";
    return {};
  }

  std::string dir_;
  std::unique_ptr<LocalJobRunner> runner_;
};

TEST_F(LocalJobRunnerTest, ExitCodeZeroSucceedsAndCallsBackOnce) {
  std::atomic<int> calls{0};
  runner_->OnFinished([&](const JobState& s) {
    EXPECT_EQ(s.name, "ok-1");
    EXPECT_EQ(s.phase, JobPhase::kSucceeded);
    ++calls;
  });
  auto c = runner_->CreateIfAbsent(Spec("ok-1", "echo hello"));
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_TRUE(c->created);
  EXPECT_EQ(c->state.phase, JobPhase::kRunning);
  auto s = WaitFinished(*runner_, "ok-1");
  EXPECT_EQ(s.phase, JobPhase::kSucceeded);
  EXPECT_EQ(s.reason, "Completed");
  EXPECT_EQ(s.exit_code, 0);
  EXPECT_EQ(s.resource_id, "c1");
  EXPECT_EQ(s.generation, 2);
  ASSERT_TRUE(s.finished_time.has_value());
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(calls.load(), 1);
  std::ifstream log(dir_ + "/state/ok-1/log");
  std::string line;
  std::getline(log, line);
  EXPECT_EQ(line, "hello");
  std::ifstream state(dir_ + "/state/ok-1/state.json");
  EXPECT_EQ(nlohmann::json::parse(state).value("resource_id", ""), "c1");
}

// The end of a job's process wakes the runner: with an hour between checks, a job that outlives
// the first check (made when the job is added) still finishes and calls back.
TEST_F(LocalJobRunnerTest, AJobsEndIsNoticedWithoutWaitingForThePollInterval) {
  runner_.reset();
  auto opened = LocalJobRunner::Open({.state_dir = dir_ + "/state", .poll_interval = 1h});
  ASSERT_TRUE(opened) << opened.error().ToString();
  runner_ = std::move(*opened);
  std::atomic<int> calls{0};
  runner_->OnFinished([&](const JobState&) { ++calls; });
  ASSERT_TRUE(runner_->CreateIfAbsent(Spec("slow-1", "sleep 1")));
  // A bound for a hung test, not a speed requirement: without the wake-up this waits an hour.
  auto state = WaitFinished(*runner_, "slow-1");
  EXPECT_EQ(state.phase, JobPhase::kSucceeded);
  for (auto deadline = std::chrono::steady_clock::now() + 20s;
       calls == 0 && std::chrono::steady_clock::now() < deadline;) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(LocalJobRunnerTest, NonZeroExitFails) {
  ASSERT_TRUE(runner_->CreateIfAbsent(Spec("bad-1", "exit 3")));
  auto s = WaitFinished(*runner_, "bad-1");
  EXPECT_EQ(s.phase, JobPhase::kFailed);
  EXPECT_EQ(s.reason, "NonZeroExit");
  EXPECT_EQ(s.exit_code, 3);
  EXPECT_NE(s.message.find("code 3"), std::string::npos) << s.message;
}

TEST_F(LocalJobRunnerTest, ResultFileWinsAndSeesTheJobEnvironment) {
  auto spec =
      Spec("env-1",
           R"sh(printf '{"status":"failure","reason":"Nope","message":"%s %s %s","data":%s}' )sh"
           R"sh("$CLUSTER_ID" "$GENERATION" "$FOO" "$(cat "$CLUSTER_JSON")" > "$RESULT_FILE")sh");
  spec.env = {{"FOO", "bar"}};
  ASSERT_TRUE(runner_->CreateIfAbsent(spec));
  auto s = WaitFinished(*runner_, "env-1");
  EXPECT_EQ(s.phase, JobPhase::kFailed);  // although the exit code is 0
  EXPECT_EQ(s.reason, "Nope");
  EXPECT_EQ(s.message, "c1 2 bar");
  EXPECT_EQ(s.data["generation"], 2);
}

TEST_F(LocalJobRunnerTest, AJobInheritsOnlyTheBasicsOfOurEnvironment) {
  ::setenv("HF_TEST_CLOUD_SECRET", "hunter2", 1);  // e.g. a token or a broker URL with a password
  auto spec = Spec(
      "env-2", R"sh(printf '{"status":"success","reason":"Ok","message":"[%s] [%s] [%s]"}' )sh"
               R"sh("${HF_TEST_CLOUD_SECRET:-}" "${FOO:-}" "$(command -v sh)" > "$RESULT_FILE")sh");
  spec.env = {{"FOO", "given"}};
  ASSERT_TRUE(runner_->CreateIfAbsent(spec));
  auto s = WaitFinished(*runner_, "env-2");
  ::unsetenv("HF_TEST_CLOUD_SECRET");
  EXPECT_EQ(s.phase, JobPhase::kSucceeded) << s.message;
  // Not the secret; the job's own env; PATH still finds programs.
  EXPECT_EQ(s.message.substr(0, 13), "[] [given] [/") << s.message;
}

TEST_F(LocalJobRunnerTest, InvalidResultFileFails) {
  ASSERT_TRUE(
      runner_->CreateIfAbsent(Spec("inv-1", R"(echo '{"status":"maybe"}' > "$RESULT_FILE")")));
  auto s = WaitFinished(*runner_, "inv-1");
  EXPECT_EQ(s.phase, JobPhase::kFailed);
  EXPECT_EQ(s.reason, "InvalidResult");
}

TEST_F(LocalJobRunnerTest, TimeoutKillsTheWholeProcessGroup) {
  std::string pidfile = dir_ + "/bg.pid";
  ASSERT_TRUE(runner_->CreateIfAbsent(
      Spec("slow-1", "sleep 30 & echo $! > " + pidfile + "; sleep 30", 300ms)));
  auto s = WaitFinished(*runner_, "slow-1");
  EXPECT_EQ(s.phase, JobPhase::kFailed);
  EXPECT_EQ(s.reason, "TimedOut");
  pid_t bg = 0;
  std::ifstream(pidfile) >> bg;
  ASSERT_GT(bg, 0);
  // The background sleep was in the job's group: gone (or a zombie awaiting its reaper).
  bool gone = false;
  for (int i = 0; i < 100 && !gone; ++i) {
    std::ifstream stat("/proc/" + std::to_string(bg) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    gone = text.empty() || text.find(") Z") != std::string::npos;
    if (!gone) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(gone);
}

TEST_F(LocalJobRunnerTest, CommandThatCannotStartIsAFailedJob) {
  auto spec = Spec("nocmd-1", "");
  spec.argv = {"/nonexistent/command"};
  auto c = runner_->CreateIfAbsent(spec);
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ(c->state.phase, JobPhase::kFailed);
  EXPECT_EQ(c->state.reason, "LaunchFailed");
  EXPECT_NE(c->state.message.find("/nonexistent/command"), std::string::npos);
}

TEST_F(LocalJobRunnerTest, ConcurrentCreatesRunTheJobOnce) {
  std::string counter = dir_ + "/runs";
  auto spec = Spec("once-1", "echo run >> " + counter + "; sleep 0.2");
  std::atomic<int> created{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto c = runner_->CreateIfAbsent(spec);
      ASSERT_TRUE(c) << c.error().ToString();
      if (c->created) ++created;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created.load(), 1);
  WaitFinished(*runner_, "once-1");
  std::ifstream in(counter);
  int lines = 0;
  for (std::string l; std::getline(in, l);) ++lines;
  EXPECT_EQ(lines, 1);
}

TEST_F(LocalJobRunnerTest, ARestartedRunnerFindsTheRunningJobAndFinishesIt) {
  ASSERT_TRUE(runner_->CreateIfAbsent(Spec("long-1", "sleep 0.5; exit 0")));
  runner_.reset();  // the adapter stops; the job keeps running
  auto again = Open();
  std::atomic<int> calls{0};
  again->OnFinished([&](const JobState&) { ++calls; });
  auto c = again->CreateIfAbsent(Spec("long-1", "echo must-not-run; exit 1"));
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_FALSE(c->created);
  EXPECT_EQ(c->state.phase, JobPhase::kRunning);
  auto s = WaitFinished(*again, "long-1");
  EXPECT_EQ(s.phase, JobPhase::kSucceeded);
  for (int i = 0; i < 50 && calls == 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(LocalJobRunnerTest, AJobThatEndedUnwatchedWithoutResultFails) {
  // Simulates a job whose adapter died: state says running, the pid is gone. Written as versions
  // before the rename did, with "cluster_id" for the resource: still read.
  std::filesystem::create_directories(dir_ + "/state/orphan-1");
  std::ofstream(dir_ + "/state/orphan-1/state.json")
      << R"({"name":"orphan-1","cluster_id":"c9","generation":1,"phase":"running",)"
      << R"("pid":999999,"pid_start":1,"owner_pid":999998,"owner_start":1,)"
      << R"("created_time":"2026-01-01T00:00:00Z","deadline":"2099-01-01T00:00:00Z"})";
  auto again = Open();
  auto s = WaitFinished(*again, "orphan-1");
  EXPECT_EQ(s.phase, JobPhase::kFailed);
  EXPECT_EQ(s.reason, "AdapterRestarted");
  EXPECT_EQ(s.resource_id, "c9");
  auto listed = again->ListByResource("c9");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, "orphan-1");
}

// A pid that belonged to a process which has exited.
pid_t DeadPid() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

// The claim a runner leaves when it is killed right after claiming a name, before starting it.
void WritePendingClaim(const std::string& dir, bool with_log) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/state.json") << nlohmann::json{
      {"name", std::filesystem::path(dir).filename().string()},
      {"cluster_id", "c1"},
      {"generation", 2},
      {"phase", "pending"},
      {"created_time", "2026-01-01T00:00:00Z"},
      {"deadline", "2099-01-01T00:00:00Z"},
      {"owner_pid", DeadPid()},
      {"owner_start", 1},
      {"owner_token", 1}}.dump();
  if (with_log) std::ofstream(dir + "/log") << "";
}

TEST_F(LocalJobRunnerTest, AClaimWhoseStarterDiedBeforeStartingItIsTakenOver) {
  WritePendingClaim(dir_ + "/state/orphan-1", false);
  // Absent to a reader (an adapter asks Get before it creates), not pending forever.
  auto absent = runner_->Get("orphan-1");
  ASSERT_TRUE(absent) << absent.error().ToString();
  EXPECT_FALSE(*absent);
  auto c = runner_->CreateIfAbsent(Spec("orphan-1", "echo took over"));
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_TRUE(c->created);  // the job never ran: it runs now, once
  EXPECT_EQ(WaitFinished(*runner_, "orphan-1").phase, JobPhase::kSucceeded);
  auto again = runner_->CreateIfAbsent(Spec("orphan-1", "echo twice"));
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->created);
}

TEST_F(LocalJobRunnerTest, AJobStartedByARunnerThatDiedBeforeRecordingItIsFoundAndWatched) {
  const std::string dir = dir_ + "/state/spawned-1";
  WritePendingClaim(dir, true);
  // The job process its starter launched: group leader, JOB_NAME in its environment.
  std::ofstream(dir_ + "/job.sh") << "sleep 0.5; echo '{\"status\":\"success\"}' > " << dir
                                  << "/result.json\n";
  auto job = std::thread(
      [&] { std::system(("setsid env JOB_NAME=spawned-1 sh " + dir_ + "/job.sh").c_str()); });
  std::this_thread::sleep_for(200ms);
  auto c = runner_->CreateIfAbsent(Spec("spawned-1", "echo must not run"));
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_FALSE(c->created);
  EXPECT_EQ(c->state.phase, JobPhase::kRunning);
  EXPECT_EQ(WaitFinished(*runner_, "spawned-1").phase, JobPhase::kSucceeded);
  job.join();

  // Gone without a trace: failed, not pending forever.
  WritePendingClaim(dir_ + "/state/spawned-2", true);
  auto gone = runner_->Get("spawned-2");
  ASSERT_TRUE(gone && *gone);
  EXPECT_EQ((*gone)->phase, JobPhase::kFailed);
}

TEST_F(LocalJobRunnerTest, AClaimThatNeverReachedItsNameIsIgnoredAndCleanedUp) {
  // A claimer died while preparing its claim: the name itself was never taken.
  const std::string staging = dir_ + "/state/.claim-1-1-1";
  WritePendingClaim(staging, false);
  std::filesystem::last_write_time(
      staging, std::filesystem::file_time_type::clock::now() - std::chrono::minutes(5));
  auto listed = runner_->ListByResource("c1");
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());
  auto c = runner_->CreateIfAbsent(Spec("fresh-1", "true"));
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_TRUE(c->created);
  EXPECT_EQ(WaitFinished(*runner_, "fresh-1").phase, JobPhase::kSucceeded);
  auto reopened = Open();  // a (re)starting runner removes stale staging directories
  EXPECT_FALSE(std::filesystem::exists(staging));
}

TEST_F(LocalJobRunnerTest, DeleteKillsAndForgetsAndListFindsByResource) {
  ASSERT_TRUE(runner_->CreateIfAbsent(Spec("a-1", "sleep 30")));
  auto other = Spec("b-1", "exit 0");
  other.resource_id = "c2";
  ASSERT_TRUE(runner_->CreateIfAbsent(other));
  auto list = runner_->ListByResource("c1");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "a-1");
  ASSERT_TRUE(runner_->Delete("a-1"));
  auto gone = runner_->Get("a-1");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  EXPECT_TRUE(runner_->Delete("never-existed"));
}

TEST_F(LocalJobRunnerTest, RejectsUnsafeNames) {
  auto c = runner_->CreateIfAbsent(Spec("../escape", "true"));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hf::jobs
