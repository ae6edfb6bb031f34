// KubernetesJobRunner against FakeKubeApi (tests/testing/fake_kube_api.hpp): create, get,
// delete, list, the watch (completion reported at once, reconnects, relist on 410), token
// rotation, and which API errors are transient.
#include "jobs/kubernetes/kubernetes_job_runner.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "common/time.hpp"
#include "testing/env.hpp"
#include "testing/fake_kube_api.hpp"

namespace hf::jobs {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kNs = "hf-test";
constexpr const char* kJobs = "/apis/batch/v1/namespaces/hf-test/jobs";

// Waits (bounded) for `done`; the bound only turns a hang into a failure.
template <typename F>
bool Eventually(F done, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

// Collects OnFinished calls.
struct Finished {
  std::mutex mu;
  std::vector<JobState> calls;
  std::function<void(const JobState&)> Callback() {
    return [this](const JobState& s) {
      std::lock_guard lock(mu);
      calls.push_back(s);
    };
  }
  size_t Count() {
    std::lock_guard lock(mu);
    return calls.size();
  }
  JobState At(size_t i) {
    std::lock_guard lock(mu);
    return calls.at(i);
  }
};

class KubernetesJobRunnerTest : public ::testing::Test {
 protected:
  KubernetesJobRunnerOptions Options() {
    KubernetesJobRunnerOptions o;
    o.adapter = "validation";
    o.namespace_name = kNs;
    o.pod.image = "hyperfleet:latest";
    o.pod.command = {"/usr/share/hyperfleet/jobs/validation.sh"};
    o.pod.args = {"--verbose"};
    o.pod.service_account = "hyperfleet-job";
    o.pod.requests = {{"cpu", "50m"}, {"memory", "32Mi"}};
    o.pod.limits = {{"cpu", "500m"}, {"memory", "128Mi"}};
    o.pod.ttl_seconds_after_finished = 3600;
    kube::KubeConnection c;
    c.server = api_.url();
    c.token = "test-token";
    o.connection = c;
    o.backoff = {.base = 20ms, .max = 200ms};
    o.watch_timeout = 60s;
    return o;
  }

  std::unique_ptr<KubernetesJobRunner> Open(KubernetesJobRunnerOptions o) {
    auto r = KubernetesJobRunner::Open(std::move(o));
    EXPECT_TRUE(r) << r.error().ToString();
    return r ? std::move(*r) : nullptr;
  }
  std::unique_ptr<KubernetesJobRunner> Open() { return Open(Options()); }

  static JobSpec Spec(const std::string& name, const std::string& cluster = "c1",
                      int64_t generation = 3) {
    JobSpec s;
    s.name = name;
    s.resource_id = cluster;
    s.generation = generation;
    s.resource_json = R"({"id":")" + cluster + R"(","generation":3})";
    s.argv = {"ignored"};
    s.env = {{"JOB_DURATION", "0.2"}};
    s.timeout = 90s;
    return s;
  }

  static std::map<std::string, std::string> Env(const json& job) {
    std::map<std::string, std::string> env;
    for (const auto& e : job["spec"]["template"]["spec"]["containers"][0]["env"]) {
      env[e["name"]] = e["value"];
    }
    return env;
  }

  // Requests whose "<METHOD> <target>" starts with `prefix`.
  int CountRequests(const std::string& prefix) {
    int n = 0;
    for (const auto& r : api_.Requests()) n += r.rfind(prefix, 0) == 0 ? 1 : 0;
    return n;
  }

  hf::testing::FakeKubeApi api_;
};

TEST_F(KubernetesJobRunnerTest, CreateBuildsTheJobObject) {
  api_.SetPodsStartAtOnce(false);  // the deadline stays as created (no container start)
  auto runner = Open();
  auto c = runner->CreateIfAbsent(Spec("validation-c1-3"));
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_TRUE(c->created);
  EXPECT_EQ(c->state.name, "validation-c1-3");
  EXPECT_EQ(c->state.resource_id, "c1");
  EXPECT_EQ(c->state.generation, 3);
  EXPECT_EQ(c->state.phase, JobPhase::kRunning);  // active: its pod is pending

  auto job = api_.Job(kNs, "validation-c1-3");
  ASSERT_TRUE(job);
  const json& meta = (*job)["metadata"];
  EXPECT_EQ(meta["labels"]["app.kubernetes.io/managed-by"], "hyperfleet");
  EXPECT_EQ(meta["labels"]["hyperfleet.io/adapter"], "validation");
  EXPECT_EQ(meta["labels"]["hyperfleet.io/cluster-id"], "c1");
  EXPECT_EQ(meta["annotations"]["hyperfleet.io/generation"], "3");
  const json& spec = (*job)["spec"];
  EXPECT_EQ(spec["backoffLimit"], 0);
  // The timeout plus the default 10 minutes to schedule and pull (until the container starts).
  EXPECT_EQ(spec["activeDeadlineSeconds"], 90 + 600);
  EXPECT_EQ(spec["ttlSecondsAfterFinished"], 3600);
  const json& pod = spec["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"], "Never");
  EXPECT_EQ(pod["serviceAccountName"], "hyperfleet-job");
  EXPECT_EQ(spec["template"]["metadata"]["labels"]["hyperfleet.io/adapter"], "validation");
  const json& container = pod["containers"][0];
  EXPECT_EQ(container["image"], "hyperfleet:latest");
  EXPECT_EQ(container["command"], json::array({"/usr/share/hyperfleet/jobs/validation.sh"}));
  EXPECT_EQ(container["args"], json::array({"--verbose"}));
  EXPECT_EQ(container["terminationMessagePath"], "/dev/termination-log");
  EXPECT_EQ(container["terminationMessagePolicy"], "FallbackToLogsOnError");
  EXPECT_EQ(container["resources"]["requests"]["cpu"], "50m");
  EXPECT_EQ(container["resources"]["limits"]["memory"], "128Mi");
  auto env = Env(*job);
  EXPECT_EQ(env["CLUSTER_ID"], "c1");
  EXPECT_EQ(env["GENERATION"], "3");
  EXPECT_EQ(env["JOB_NAME"], "validation-c1-3");
  EXPECT_EQ(env["RESULT_FILE"], "/dev/termination-log");
  EXPECT_EQ(env["CLUSTER_JSON"], "/etc/hyperfleet/job/resource.json");
  EXPECT_FALSE(env.contains("CLUSTER_JSON_CONTENT"));
  EXPECT_EQ(pod["volumes"][0]["configMap"]["name"], "validation-c1-3-resource-1");
  auto cm = api_.ConfigMap(kNs, "validation-c1-3-resource-1");
  ASSERT_TRUE(cm) << "the resource JSON goes to the job as a file of a ConfigMap";
  EXPECT_EQ((*cm)["data"]["resource.json"], R"({"id":"c1","generation":3})");
  EXPECT_EQ((*cm)["metadata"]["ownerReferences"][0]["uid"], (*job)["metadata"]["uid"])
      << "owned by the Job, so it goes with it";
  EXPECT_EQ(env["JOB_DURATION"], "0.2");
}

TEST_F(KubernetesJobRunnerTest, DuplicateGetDeleteAndList) {
  auto runner = Open();
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c1-3")));
  auto again = runner->CreateIfAbsent(Spec("validation-c1-3"));
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(api_.JobCount(), 1u);
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c1-4", "c1", 4)));
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c2-1", "c2", 1)));

  auto got = runner->Get("validation-c1-4");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->generation, 4);
  auto missing = runner->Get("validation-nope-1");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);

  auto listed = runner->ListByResource("c1");
  ASSERT_TRUE(listed) << listed.error().ToString();
  std::set<std::string> names;
  for (const auto& s : *listed) names.insert(s.name);
  EXPECT_EQ(names, (std::set<std::string>{"validation-c1-3", "validation-c1-4"}));

  ASSERT_TRUE(runner->Delete("validation-c1-3"));
  EXPECT_FALSE(api_.Job(kNs, "validation-c1-3"));
  EXPECT_EQ(api_.LastDeleteOptions().value("propagationPolicy", ""), "Background");
  EXPECT_TRUE(runner->Delete("validation-c1-3")) << "deleting an absent job is fine";
  EXPECT_EQ(runner->ListByResource("c1")->size(), 1u);
}

TEST_F(KubernetesJobRunnerTest, LosingTheCreateRaceReadsTheOtherJob) {
  auto runner = Open();
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c1-3")));
  // Another replica's job appears between our GET (404) and our POST (409).
  api_.FailNext("GET " + std::string(kJobs) + "/validation-c1-3", 404, "not found");
  auto c = runner->CreateIfAbsent(Spec("validation-c1-3"));
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_FALSE(c->created);
  EXPECT_EQ(c->state.name, "validation-c1-3");
  EXPECT_EQ(CountRequests("POST " + std::string(kJobs)), 2);
}

TEST_F(KubernetesJobRunnerTest, LongAndInvalidNamesAreShortenedWithAStableHash) {
  auto runner = Open();
  const std::string long_name =
      "validation-" + std::string(80, 'x') + "-0192e4a1-7c3b-7def-8a12-3456789abcde-17";
  auto c = runner->CreateIfAbsent(Spec(long_name));
  ASSERT_TRUE(c) << c.error().ToString();
  const std::string k = c->state.name;
  EXPECT_LE(k.size(), 63u);
  EXPECT_TRUE(kube::IsDns1123Label(k)) << k;
  EXPECT_EQ(k, kube::KubeJobName(long_name));
  EXPECT_TRUE(api_.Job(kNs, k));
  auto got = runner->Get(long_name);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->name, k);
  // Another generation of the same long name is another job.
  auto other = runner->CreateIfAbsent(
      Spec("validation-" + std::string(80, 'x') + "-0192e4a1-7c3b-7def-8a12-3456789abcde-18"));
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->created);
  EXPECT_NE(other->state.name, k);
  EXPECT_EQ(api_.JobCount(), 2u);
}

TEST_F(KubernetesJobRunnerTest, WatchReportsCompletionAtOnceAndOnlyOnce) {
  auto runner = Open();
  Finished finished;
  runner->OnFinished(finished.Callback());
  ASSERT_TRUE(Eventually([&] { return runner->Watching(); }));
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c1-3")));
  const int gets_before = CountRequests("GET " + std::string(kJobs) + "/validation-c1-3");
  ASSERT_TRUE(api_.MarkComplete(
      kNs, "validation-c1-3",
      R"({"status":"success","reason":"ClusterValid","message":"ok","data":{"step":"v"}})"));
  ASSERT_TRUE(Eventually([&] { return finished.Count() == 1; }));
  JobState s = finished.At(0);
  EXPECT_EQ(s.name, "validation-c1-3");
  EXPECT_EQ(s.resource_id, "c1");
  EXPECT_EQ(s.phase, JobPhase::kSucceeded);
  EXPECT_EQ(s.reason, "ClusterValid");
  EXPECT_EQ(s.message, "ok");
  EXPECT_EQ(s.data, json({{"step", "v"}}));
  EXPECT_EQ(s.exit_code, 0);
  // The watch, not polling, delivered it: the job itself was not fetched again.
  EXPECT_EQ(CountRequests("GET " + std::string(kJobs) + "/validation-c1-3"), gets_before);

  // More changes to a finished job (and another job finishing) call back once each.
  ASSERT_TRUE(api_.MarkComplete(kNs, "validation-c1-3", R"({"status":"success"})"));
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c2-1", "c2", 1)));
  ASSERT_TRUE(api_.MarkComplete(kNs, "validation-c2-1"));
  ASSERT_TRUE(Eventually([&] { return finished.Count() >= 2; }));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(finished.Count(), 2u);
  EXPECT_EQ(finished.At(1).name, "validation-c2-1");
  EXPECT_EQ(finished.At(1).reason, "Completed");

  // Get reads the outcome that was reported (kept on the Job), not a later pod's.
  auto got = runner->Get("validation-c1-3");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->phase, JobPhase::kSucceeded);
  EXPECT_EQ((*got)->reason, "ClusterValid");
}

TEST_F(KubernetesJobRunnerTest, FailedJobsCarryTheirReason) {
  auto runner = Open();
  Finished finished;
  runner->OnFinished(finished.Callback());
  ASSERT_TRUE(Eventually([&] { return runner->Watching(); }));
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c1-1", "c1", 1)));
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c1-2", "c1", 2)));
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c1-3", "c1", 3)));
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c1-4", "c1", 4)));
  api_.MarkFailed(kNs, "validation-c1-1", "DeadlineExceeded",
                  "Job was active longer than specified deadline", "", 137);
  api_.MarkFailed(kNs, "validation-c1-2", "BackoffLimitExceeded",
                  "Job has reached the specified backoff limit", "line 1\nboom: no such zone\n");
  // No result: the job runs once more (attempt 2, same resource JSON), and its second failure
  // is reported.
  ASSERT_TRUE(Eventually([&] {
    auto job = api_.Job(kNs, "validation-c1-2");
    return job && (*job)["metadata"]["annotations"]["hyperfleet.io/attempt"] == "2";
  }));
  ASSERT_TRUE(
      Eventually([&] { return api_.ConfigMap(kNs, "validation-c1-2-resource-2").has_value(); }));
  auto again = api_.ConfigMap(kNs, "validation-c1-2-resource-2");
  EXPECT_EQ((*again)["data"]["resource.json"], R"({"id":"c1","generation":3})");
  EXPECT_FALSE(api_.ConfigMap(kNs, "validation-c1-2-resource-1")) << "went with the old Job";
  api_.MarkFailed(kNs, "validation-c1-2", "BackoffLimitExceeded",
                  "Job has reached the specified backoff limit", "line 1\nboom: no such zone\n");
  api_.MarkFailed(kNs, "validation-c1-3", "BackoffLimitExceeded", "backoff",
                  R"({"status":"failure","reason":"ClusterInvalid","message":"bad spec"})");
  // Exit 0 but the result says failure: the result decides, as with local jobs.
  api_.MarkComplete(kNs, "validation-c1-4", R"({"status":"failure","reason":"NoCapacity"})");
  ASSERT_TRUE(Eventually([&] { return finished.Count() == 4; }));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(finished.Count(), 4u) << "the first failure of validation-c1-2 was reported";
  std::map<std::string, JobState> by_name;
  for (size_t i = 0; i < 4; ++i) by_name[finished.At(i).name] = finished.At(i);
  EXPECT_EQ(by_name["validation-c1-1"].phase, JobPhase::kFailed);
  EXPECT_EQ(by_name["validation-c1-1"].reason, "DeadlineExceeded");
  EXPECT_EQ(by_name["validation-c1-1"].exit_code, 137);
  EXPECT_EQ(by_name["validation-c1-2"].reason, "BackoffLimitExceeded");
  EXPECT_NE(by_name["validation-c1-2"].message.find("boom: no such zone"), std::string::npos)
      << by_name["validation-c1-2"].message;
  EXPECT_EQ(by_name["validation-c1-3"].reason, "ClusterInvalid");
  EXPECT_EQ(by_name["validation-c1-3"].message, "bad spec");
  EXPECT_EQ(by_name["validation-c1-4"].phase, JobPhase::kFailed);
  EXPECT_EQ(by_name["validation-c1-4"].reason, "NoCapacity");
}

TEST_F(KubernetesJobRunnerTest, JobsFinishedBeforeStartAreNotReported) {
  {
    auto first = Open();
    ASSERT_TRUE(first->CreateIfAbsent(Spec("validation-old-1", "old", 1)));
    ASSERT_TRUE(first->CreateIfAbsent(Spec("validation-run-1", "run", 1)));
  }
  api_.MarkComplete(kNs, "validation-old-1");
  auto runner = Open();
  Finished finished;
  runner->OnFinished(finished.Callback());
  ASSERT_TRUE(Eventually([&] { return runner->Watching(); }));
  api_.MarkComplete(kNs, "validation-run-1");  // was running when the runner started: reported
  ASSERT_TRUE(Eventually([&] { return finished.Count() == 1; }));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(finished.Count(), 1u);
  EXPECT_EQ(finished.At(0).name, "validation-run-1");
}

TEST_F(KubernetesJobRunnerTest, WatchReconnectsAfterTheStreamDrops) {
  auto runner = Open();
  Finished finished;
  runner->OnFinished(finished.Callback());
  ASSERT_TRUE(Eventually([&] { return api_.OpenWatches() == 1; }));
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c1-3")));
  const int watches = api_.WatchRequests();
  api_.DropWatches();
  api_.MarkComplete(kNs, "validation-c1-3");  // while the stream is down (or just back)
  ASSERT_TRUE(Eventually([&] { return finished.Count() == 1; }));
  EXPECT_GT(api_.WatchRequests(), watches);
  // The new watch resumed from a resourceVersion (no relist was needed).
  EXPECT_EQ(CountRequests("GET " + std::string(kJobs) + "?limit"), 1);
  ASSERT_TRUE(Eventually([&] { return api_.OpenWatches() == 1; }));
}

class RelistTest : public KubernetesJobRunnerTest, public ::testing::WithParamInterface<bool> {};

TEST_P(RelistTest, RelistsAfter410GoneAndReportsJobsFinishedInTheGap) {
  api_.SetGoneAsEvent(GetParam());
  auto runner = Open();
  Finished finished;
  runner->OnFinished(finished.Callback());
  ASSERT_TRUE(Eventually([&] { return api_.OpenWatches() == 1; }));
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c1-3")));
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c2-3", "c2")));
  api_.MarkComplete(kNs, "validation-c2-3");
  ASSERT_TRUE(Eventually([&] { return finished.Count() == 1; }));
  api_.Compact();  // the runner's resourceVersion is now too old
  api_.DropWatches();
  api_.MarkComplete(kNs, "validation-c1-3");
  ASSERT_TRUE(Eventually([&] { return finished.Count() == 2; }));
  EXPECT_EQ(finished.At(1).name, "validation-c1-3");
  EXPECT_GE(CountRequests("GET " + std::string(kJobs) + "?limit"), 2) << "relisted";
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(finished.Count(), 2u) << "the relist does not report validation-c2-3 again";
  ASSERT_TRUE(Eventually([&] { return api_.OpenWatches() == 1; }));
}

INSTANTIATE_TEST_SUITE_P(HttpAndEvent, RelistTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "ErrorEvent" : "Http410"; });

TEST_F(KubernetesJobRunnerTest, RotatedTokenFileIsReadAgain) {
  const std::string dir = hf::testing::MakeTempDir("hf-kube-token");
  const std::string token_file = dir + "/token";
  std::ofstream(token_file) << "token-one\n";
  api_.SetToken("token-one");
  auto o = Options();
  o.connection->token.clear();
  o.connection->token_file = token_file;
  auto runner = Open(std::move(o));
  Finished finished;
  runner->OnFinished(finished.Callback());
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c1-1", "c1", 1)));

  // The kubelet rotates the token: a new file is renamed into place.
  api_.SetToken("token-two-rotated");
  std::ofstream(token_file + ".new") << "token-two-rotated\n";
  std::filesystem::rename(token_file + ".new", token_file);
  auto c = runner->CreateIfAbsent(Spec("validation-c1-2", "c1", 2));
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_TRUE(c->created);

  // The watch picks up the new token too.
  api_.DropWatches();
  api_.MarkComplete(kNs, "validation-c1-2");
  ASSERT_TRUE(Eventually([&] { return finished.Count() == 1; }));
  std::filesystem::remove_all(dir);
}

TEST_F(KubernetesJobRunnerTest, AuthAndValidationErrorsAreTerminal) {
  auto runner = Open();
  const std::string post = "POST " + std::string(kJobs);
  api_.FailNext(post, 403,
                "jobs.batch is forbidden: User \"system:serviceaccount:hf:x\" cannot "
                "create resource \"jobs\" in API group \"batch\"");
  auto forbidden = runner->CreateIfAbsent(Spec("validation-c1-3"));
  ASSERT_FALSE(forbidden);
  EXPECT_FALSE(forbidden.error().Transient());
  EXPECT_EQ(forbidden.error().code, ErrorCode::kPermissionDenied);
  EXPECT_NE(forbidden.error().message.find("403"), std::string::npos);
  EXPECT_NE(forbidden.error().message.find("cannot create resource \"jobs\""), std::string::npos)
      << forbidden.error().message;

  api_.FailNext(post, 422,
                "Job.batch \"x\" is invalid: spec.template.spec.containers[0].image: "
                "Required value");
  auto invalid = runner->CreateIfAbsent(Spec("validation-c1-3"));
  ASSERT_FALSE(invalid);
  EXPECT_FALSE(invalid.error().Transient());
  EXPECT_EQ(invalid.error().code, ErrorCode::kUnprocessable);
  EXPECT_NE(invalid.error().message.find("Required value"), std::string::npos);

  auto o = Options();
  o.connection->token = "wrong";
  auto unauthorized = Open(std::move(o))->CreateIfAbsent(Spec("validation-c1-3"));
  ASSERT_FALSE(unauthorized);
  EXPECT_FALSE(unauthorized.error().Transient());
  EXPECT_NE(unauthorized.error().message.find("401: Unauthorized"), std::string::npos)
      << unauthorized.error().message;
  EXPECT_EQ(api_.JobCount(), 0u);
}

TEST_F(KubernetesJobRunnerTest, OverloadAndOutagesAreTransient) {
  auto runner = Open();
  const std::string post = "POST " + std::string(kJobs);
  api_.Throttle(post, 0, 3);  // more than the client's two retries
  auto throttled = runner->CreateIfAbsent(Spec("validation-c1-3"));
  ASSERT_FALSE(throttled);
  EXPECT_TRUE(throttled.error().Transient());
  api_.FailNext("GET " + std::string(kJobs) + "/validation-c1-3", 503, "etcd is unavailable");
  auto unavailable = runner->CreateIfAbsent(Spec("validation-c1-3"));
  ASSERT_FALSE(unavailable);
  EXPECT_TRUE(unavailable.error().Transient());
  EXPECT_EQ(unavailable.error().code, ErrorCode::kUnavailable);
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c1-3"))) << "works once the API recovers";

  // Nothing listening: transport error.
  auto o = Options();
  o.connection->server = "http://127.0.0.1:1";
  auto down = Open(std::move(o))->Get("validation-c1-3");
  ASSERT_FALSE(down);
  EXPECT_TRUE(down.error().Transient());

  // A server that accepts but never answers: timeout.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto silent = Options();
  silent.connection->server = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  silent.request_timeout = 300ms;
  auto timed_out = Open(std::move(silent))->Get("validation-c1-3");
  ::close(fd);
  ASSERT_FALSE(timed_out);
  EXPECT_EQ(timed_out.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_TRUE(timed_out.error().Transient());
}

TEST_F(KubernetesJobRunnerTest, NamespaceDefaultsToTheConnections) {
  auto o = Options();
  o.namespace_name.clear();
  o.connection->default_namespace = "from-context";
  EXPECT_EQ(Open(o)->namespace_name(), "from-context");
  o.connection->default_namespace.clear();
  EXPECT_EQ(Open(o)->namespace_name(), "default");
  o.namespace_name = "Bad_NS";
  auto bad = KubernetesJobRunner::Open(o);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("namespace 'Bad_NS'"), std::string::npos);
  o.namespace_name = kNs;
  o.pod.image.clear();
  EXPECT_FALSE(KubernetesJobRunner::Open(o));
}

// --- what a real cluster does (issue #18) ----------------------------------------------------

TEST_F(KubernetesJobRunnerTest, JobPodsPassPodSecurityRestrictedWithoutAToken) {
  api_.SetPodSecurityRestricted(kNs);
  auto runner = Open();
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c1-3")));
  auto pods = api_.PodsOf(kNs, "validation-c1-3");
  ASSERT_EQ(pods.size(), 1u) << "the namespace's PodSecurity admission refused the pod";
  const json& pod = pods[0]["spec"];
  EXPECT_EQ(pod["automountServiceAccountToken"], false);
  EXPECT_EQ(pod["securityContext"]["runAsNonRoot"], true);
  EXPECT_EQ(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
  const json& c = pod["containers"][0];
  EXPECT_EQ(c["imagePullPolicy"], "IfNotPresent");
  EXPECT_EQ(c["securityContext"]["allowPrivilegeEscalation"], false);
  EXPECT_EQ(c["securityContext"]["readOnlyRootFilesystem"], true);
  EXPECT_EQ(c["securityContext"]["capabilities"]["drop"], json::array({"ALL"}));

  // The fake's admission is real enough to refuse what the runner used to send.
  json bare = *api_.Job(kNs, "validation-c1-3");
  bare["metadata"] = {{"name", "bare"}};
  bare["spec"].erase("selector");
  bare["spec"]["template"]["metadata"] = json::object();
  bare["spec"]["template"]["spec"].erase("securityContext");
  bare["spec"]["template"]["spec"]["containers"][0].erase("securityContext");
  kube::KubeClient client(*Options().connection);
  auto r = client.Send("POST", kJobs, &bare);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201) << "PodSecurity admits the Job itself";
  EXPECT_TRUE(api_.PodsOf(kNs, "bare").empty()) << "but not its pods";
}

TEST_F(KubernetesJobRunnerTest, AJobLeftWithoutItsConfigMapGetsItOnTheNextCreate) {
  auto runner = Open();
  api_.FailNext("POST /api/v1/namespaces/hf-test/configmaps", 503, "etcd is unavailable");
  auto first = runner->CreateIfAbsent(Spec("validation-c1-3"));
  ASSERT_FALSE(first);
  EXPECT_TRUE(first.error().Transient());
  EXPECT_TRUE(api_.Job(kNs, "validation-c1-3")) << "the Job was created";
  EXPECT_FALSE(api_.ConfigMap(kNs, "validation-c1-3-resource-1"));
  auto again = runner->CreateIfAbsent(Spec("validation-c1-3"));  // the retried event
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_FALSE(again->created);
  EXPECT_TRUE(api_.ConfigMap(kNs, "validation-c1-3-resource-1"));
}

TEST_F(KubernetesJobRunnerTest, TheImageDefaultsToTheAdaptersOwn) {
  auto o = Options();
  o.pod.image.clear();
  ::unsetenv("HYPERFLEET_IMAGE");
  auto none = KubernetesJobRunner::Open(o);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("HYPERFLEET_IMAGE"), std::string::npos);
  ::setenv("HYPERFLEET_IMAGE", "registry.example.com/hyperfleet/hyperfleet:0.1.0", 1);
  auto runner = Open(o);
  ::unsetenv("HYPERFLEET_IMAGE");
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c1-3")));
  EXPECT_EQ(
      (*api_.Job(kNs, "validation-c1-3"))["spec"]["template"]["spec"]["containers"][0]["image"],
      "registry.example.com/hyperfleet/hyperfleet:0.1.0");
}

TEST_F(KubernetesJobRunnerTest, DisruptedPodsAreRetriedNotReported) {
  auto runner = Open();
  Finished finished;
  runner->OnFinished(finished.Callback());
  ASSERT_TRUE(Eventually([&] { return runner->Watching(); }));
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c1-3")));
  ASSERT_TRUE(api_.DisruptPod(kNs, "validation-c1-3"));  // evicted: DisruptionTarget
  EXPECT_EQ(api_.PodsOf(kNs, "validation-c1-3").size(), 2u) << "podFailurePolicy ignores it";
  auto got = runner->Get("validation-c1-3");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->phase, JobPhase::kRunning);
  ASSERT_TRUE(api_.MarkComplete(kNs, "validation-c1-3", R"({"status":"success","reason":"Ok"})"));
  ASSERT_TRUE(Eventually([&] { return finished.Count() == 1; }));
  EXPECT_EQ(finished.At(0).phase, JobPhase::kSucceeded);
  EXPECT_EQ(finished.At(0).reason, "Ok");
}

TEST_F(KubernetesJobRunnerTest, StuckPodsSayWhyAndTheTimeoutStartsWithTheContainer) {
  api_.SetPodsStartAtOnce(false);
  auto runner = Open();
  ASSERT_TRUE(Eventually([&] { return runner->Watching(); }));
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c1-3")));
  auto got = runner->Get("validation-c1-3");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->phase, JobPhase::kPending);
  EXPECT_EQ((*got)->reason, "Unschedulable");
  EXPECT_NE((*got)->message.find("Insufficient cpu"), std::string::npos) << (*got)->message;

  for (const char* reason : {"ErrImagePull", "ImagePullBackOff", "CreateContainerConfigError"}) {
    ASSERT_TRUE(
        api_.SetPodWaiting(kNs, "validation-c1-3", reason, std::string("because ") + reason));
    auto again = runner->CreateIfAbsent(Spec("validation-c1-3"));
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->created);
    EXPECT_EQ(again->state.phase, JobPhase::kPending);
    EXPECT_EQ(again->state.reason, reason);
    EXPECT_EQ(again->state.message, std::string("because ") + reason);
  }
  EXPECT_EQ((*api_.Job(kNs, "validation-c1-3"))["spec"]["activeDeadlineSeconds"], 90 + 600);

  // The container starts: the deadline becomes (start - Job start) + the timeout.
  ASSERT_TRUE(api_.StartPod(kNs, "validation-c1-3"));
  ASSERT_TRUE(Eventually([&] {
    return (*api_.Job(kNs, "validation-c1-3"))["metadata"]["annotations"].contains(
        "hyperfleet.io/started-at");
  }));
  const json job = *api_.Job(kNs, "validation-c1-3");
  const auto waited =
      *ParseTime(job["metadata"]["annotations"]["hyperfleet.io/started-at"].get<std::string>()) -
      *ParseTime(job["status"]["startTime"].get<std::string>());
  EXPECT_EQ(job["spec"]["activeDeadlineSeconds"],
            90 + std::chrono::duration_cast<std::chrono::seconds>(waited).count());
  got = runner->Get("validation-c1-3");
  EXPECT_EQ((*got)->phase, JobPhase::kRunning);
  EXPECT_EQ((*got)->reason, "");
}

TEST_F(KubernetesJobRunnerTest, SuccessCriteriaMetIsSuccessAndTheResultOutlivesThePod) {
  auto runner = Open();
  Finished finished;
  runner->OnFinished(finished.Callback());
  ASSERT_TRUE(Eventually([&] { return runner->Watching(); }));
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c1-3")));
  ASSERT_TRUE(api_.MarkSuccessCriteriaMet(
      kNs, "validation-c1-3", R"({"status":"success","reason":"ClusterValid","data":{"k":1}})"));
  ASSERT_TRUE(Eventually([&] { return finished.Count() == 1; }));
  EXPECT_EQ(finished.At(0).phase, JobPhase::kSucceeded);
  EXPECT_EQ(finished.At(0).data, json({{"k", 1}}));
  ASSERT_TRUE(Eventually([&] {
    return (*api_.Job(kNs, "validation-c1-3"))["metadata"]["annotations"].contains(
        "hyperfleet.io/result");
  }));
  api_.DeletePods(kNs, "validation-c1-3");  // pod garbage collection, a drained node
  auto got = runner->Get("validation-c1-3");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->reason, "ClusterValid");
  EXPECT_EQ((*got)->data, json({{"k", 1}}));
  auto listed = runner->ListByResource("c1");
  ASSERT_TRUE(listed && listed->size() == 1u);
  EXPECT_EQ((*listed)[0].data, json({{"k", 1}}));
}

TEST_F(KubernetesJobRunnerTest, ATruncatedResultIsAFailureNotMissingData) {
  auto runner = Open();
  Finished finished;
  runner->OnFinished(finished.Callback());
  ASSERT_TRUE(Eventually([&] { return runner->Watching(); }));
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c1-3")));
  const std::string big =
      R"({"status":"success","reason":"Big","data":{"blob":")" + std::string(5000, 'x') + R"("}})";
  ASSERT_TRUE(api_.MarkComplete(kNs, "validation-c1-3", big));
  ASSERT_TRUE(Eventually([&] { return finished.Count() == 1; }));
  EXPECT_EQ(finished.At(0).phase, JobPhase::kFailed);
  EXPECT_EQ(finished.At(0).reason, "ResultTruncated");
  EXPECT_NE(finished.At(0).message.find("4096"), std::string::npos);
}

TEST_F(KubernetesJobRunnerTest, PodsAreMatchedByTheJobsUidNotItsName) {
  auto runner = Open();
  Finished finished;
  runner->OnFinished(finished.Callback());
  ASSERT_TRUE(Eventually([&] { return runner->Watching(); }));
  // A pod left by an earlier Job of the same name, finished later than ours.
  api_.AddPod(kNs, json::parse(R"({"metadata": {"name": "validation-c1-3-old", "labels": {
      "job-name": "validation-c1-3", "batch.kubernetes.io/job-name": "validation-c1-3",
      "controller-uid": "old", "batch.kubernetes.io/controller-uid": "old"}},
      "status": {"phase": "Failed", "containerStatuses": [{"name": "job", "state": {"terminated": {
      "exitCode": 1, "finishedAt": "2999-01-01T00:00:00Z",
      "message": "{\"status\":\"failure\",\"reason\":\"Stale\"}"}}}]}})"));
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c1-3")));
  ASSERT_TRUE(api_.MarkComplete(kNs, "validation-c1-3", R"({"status":"success","reason":"Ours"})"));
  ASSERT_TRUE(Eventually([&] { return finished.Count() == 1; }));
  EXPECT_EQ(finished.At(0).reason, "Ours");
}

TEST_F(KubernetesJobRunnerTest, QuotaAndATerminatingNamespaceAreTransient) {
  auto runner = Open();
  api_.SetJobQuota(kNs, 1);
  ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c1-3")));
  auto over = runner->CreateIfAbsent(Spec("validation-c2-3", "c2"));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(over.error().message.find("exceeded quota"), std::string::npos);
  api_.SetNamespaceTerminating(kNs);
  auto terminating = runner->CreateIfAbsent(Spec("validation-c3-3", "c3"));
  ASSERT_FALSE(terminating);
  EXPECT_EQ(terminating.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(terminating.error().message.find("being terminated"), std::string::npos);
}

TEST_F(KubernetesJobRunnerTest, ListsArePaged) {
  auto o = Options();
  o.page_size = 2;
  auto runner = Open(o);
  for (int g = 1; g <= 5; ++g) {
    ASSERT_TRUE(runner->CreateIfAbsent(Spec("validation-c1-" + std::to_string(g), "c1", g)));
  }
  auto listed = runner->ListByResource("c1");
  ASSERT_TRUE(listed) << listed.error().ToString();
  EXPECT_EQ(listed->size(), 5u);
  EXPECT_GE(CountRequests("GET " + std::string(kJobs) + "?limit=2&labelSelector"), 3);
  bool continued = false;
  for (const auto& r : api_.Requests()) continued |= r.find("&continue=") != std::string::npos;
  EXPECT_TRUE(continued);
}

TEST_F(KubernetesJobRunnerTest, ThrottledRequestsWaitForRetryAfter) {
  auto runner = Open();
  api_.Throttle("POST " + std::string(kJobs), 1);
  const auto start = std::chrono::steady_clock::now();
  auto c = runner->CreateIfAbsent(Spec("validation-c1-3"));
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1s) << "Retry-After: 1 was not honoured";
  EXPECT_EQ(CountRequests("POST " + std::string(kJobs)), 2);
}

TEST_F(KubernetesJobRunnerTest, NotReadyWhileTheWatchIsDown) {
  api_.FailNext("GET " + std::string(kJobs), 403, "jobs.batch is forbidden", 1000);
  auto runner = Open();
  ASSERT_TRUE(
      Eventually([&] { return runner->NotReadyReason().find("forbidden") != std::string::npos; }));
  EXPECT_NE(runner->NotReadyReason().find("forbidden"), std::string::npos)
      << runner->NotReadyReason();
}

TEST_F(KubernetesJobRunnerTest, ReadyOnceWatching) {
  auto runner = Open();
  ASSERT_TRUE(Eventually([&] { return runner->Watching(); }));
  EXPECT_EQ(runner->NotReadyReason(), "");
}

}  // namespace
}  // namespace hf::jobs
