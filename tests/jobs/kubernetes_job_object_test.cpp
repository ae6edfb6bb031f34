// Job names, labels and reading a Job's state (pure functions of job_object.hpp).
#include <gtest/gtest.h>

#include "jobs/kubernetes/job_object.hpp"

namespace hf::jobs::kube {
namespace {

using nlohmann::json;

TEST(KubeJobNameTest, ValidNamesAreKeptOthersHashed) {
  EXPECT_EQ(KubeJobName("validation-0192e4a1-7c3b-7def-8a12-3456789abcde-3"),
            "validation-0192e4a1-7c3b-7def-8a12-3456789abcde-3");
  const std::string upper = KubeJobName("Validation_C1.3");
  EXPECT_TRUE(IsDns1123Label(upper)) << upper;
  EXPECT_EQ(upper.rfind("validation-c1-3-", 0), 0u) << upper;
  EXPECT_NE(KubeJobName("validation-C1-3"), KubeJobName("validation-c1-3"))
      << "case-folding must not merge two names";

  const std::string long_a = std::string(70, 'a') + "-1";
  const std::string long_b = std::string(70, 'a') + "-2";
  const std::string ka = KubeJobName(long_a);
  EXPECT_EQ(ka.size(), 63u);
  EXPECT_TRUE(IsDns1123Label(ka)) << ka;
  EXPECT_EQ(ka, KubeJobName(long_a)) << "stable";
  EXPECT_NE(ka, KubeJobName(long_b));
  EXPECT_EQ(KubeJobName(ka), ka) << "a shortened name maps to itself";
  EXPECT_TRUE(IsDns1123Label(KubeJobName("---")));
  EXPECT_TRUE(IsDns1123Label(KubeJobName(std::string(62, 'b') + "-._x")));
}

TEST(KubeJobNameTest, Dns1123Label) {
  EXPECT_TRUE(IsDns1123Label("a"));
  EXPECT_TRUE(IsDns1123Label(std::string(63, 'a')));
  EXPECT_FALSE(IsDns1123Label(std::string(64, 'a')));
  EXPECT_FALSE(IsDns1123Label(""));
  EXPECT_FALSE(IsDns1123Label("-a"));
  EXPECT_FALSE(IsDns1123Label("a-"));
  EXPECT_FALSE(IsDns1123Label("a.b"));
  EXPECT_FALSE(IsDns1123Label("A"));
}

TEST(KubeLabelValueTest, InvalidValuesAreHashed) {
  EXPECT_EQ(KubeLabelValue("0192e4a1-7c3b-7def-8a12-3456789abcde"),
            "0192e4a1-7c3b-7def-8a12-3456789abcde");
  EXPECT_EQ(KubeLabelValue("Mixed.Case_ok"), "Mixed.Case_ok");
  const std::string h = KubeLabelValue("has space");
  EXPECT_EQ(h.size(), 18u);
  EXPECT_EQ(h.rfind("h-", 0), 0u);
  EXPECT_EQ(KubeLabelValue(std::string(64, 'a')).size(), 18u);
  EXPECT_EQ(AdapterSelector("dns"),
            "app.kubernetes.io/managed-by=hyperfleet,hyperfleet.io/adapter=dns");
}

json Job(json status) {
  return {
      {"metadata",
       {{"name", "dns-c1-2"},
        {"creationTimestamp", "2026-01-02T03:04:05Z"},
        {"labels", {{"hyperfleet.io/cluster-id", "c1"}}},
        {"annotations", {{"hyperfleet.io/generation", "2"}, {"hyperfleet.io/cluster-id", "c1"}}}}},
      {"status", status}};
}

TEST(StateFromJobTest, Phases) {
  EXPECT_EQ(StateFromJob(Job(json::object())).phase, JobPhase::kPending);
  auto running = StateFromJob(Job({{"active", 1}}));
  EXPECT_EQ(running.phase, JobPhase::kRunning);
  EXPECT_EQ(running.name, "dns-c1-2");
  EXPECT_EQ(running.resource_id, "c1");
  EXPECT_EQ(running.generation, 2);
  EXPECT_EQ(FormatTime(running.created_time), "2026-01-02T03:04:05.000000Z");

  auto done = StateFromJob(
      Job({{"completionTime", "2026-01-02T03:05:00Z"},
           {"conditions",
            {{{"type", "SuccessCriteriaMet"}, {"status", "True"}},
             {{"type", "Complete"}, {"status", "True"}, {"reason", "CompletionsReached"}}}}}));
  EXPECT_EQ(done.phase, JobPhase::kSucceeded);
  EXPECT_EQ(done.reason, "Completed");
  ASSERT_TRUE(done.finished_time);
  EXPECT_EQ(FormatTime(*done.finished_time), "2026-01-02T03:05:00.000000Z");

  auto failed = StateFromJob(Job({{"conditions",
                                   {{{"type", "Failed"},
                                     {"status", "True"},
                                     {"reason", "DeadlineExceeded"},
                                     {"message", "too slow"}}}}}));
  EXPECT_EQ(failed.phase, JobPhase::kFailed);
  EXPECT_EQ(failed.reason, "DeadlineExceeded");
  EXPECT_EQ(failed.message, "too slow");

  auto not_yet = StateFromJob(
      Job({{"active", 1}, {"conditions", {{{"type", "Failed"}, {"status", "False"}}}}}));
  EXPECT_EQ(not_yet.phase, JobPhase::kRunning);

  // Kubernetes >= 1.31: SuccessCriteriaMet alone is success; FailureTarget alone is a failure
  // in progress (its pods still stop), not yet an outcome.
  auto met =
      StateFromJob(Job({{"conditions", {{{"type", "SuccessCriteriaMet"}, {"status", "True"}}}}}));
  EXPECT_EQ(met.phase, JobPhase::kSucceeded);
  auto failing = StateFromJob(Job({{"active", 1},
                                   {"conditions",
                                    {{{"type", "FailureTarget"},
                                      {"status", "True"},
                                      {"reason", "DeadlineExceeded"},
                                      {"message", "too slow"}}}}}));
  EXPECT_EQ(failing.phase, JobPhase::kRunning);
  EXPECT_EQ(failing.reason, "DeadlineExceeded");
  EXPECT_NE(failing.message.find("too slow"), std::string::npos);
}

TEST(ApplyPodsTest, DeadlineExceededKeepsItsReasonButTakesTheData) {
  auto s = StateFromJob(
      Job({{"conditions",
            {{{"type", "Failed"}, {"status", "True"}, {"reason", "DeadlineExceeded"}}}}}));
  json pods = json::parse(R"({"items": [{"status": {"containerStatuses": [{"state": {
      "terminated": {"exitCode": 2, "finishedAt": "2026-01-02T03:05:00Z",
      "message": "{\"status\":\"success\",\"reason\":\"Late\",\"data\":{\"k\":1}}"}}}]}}]})");
  ApplyPods(s, pods);
  EXPECT_EQ(s.phase, JobPhase::kFailed);
  EXPECT_EQ(s.reason, "DeadlineExceeded");
  EXPECT_EQ(s.data, json({{"k", 1}}));
  EXPECT_EQ(s.exit_code, 2);
  ApplyPods(s, json::object());  // no items: unchanged
  EXPECT_EQ(s.exit_code, 2);
}

TEST(BuildJobManifestTest, TimeoutRoundsUpAndOptionalFieldsAreOmitted) {
  JobSpec spec;
  spec.name = "Dns_C1-2";
  spec.resource_id = "c1";
  spec.generation = 2;
  spec.timeout = std::chrono::milliseconds(1500);
  PodSettings pod;
  pod.image = "img";
  json m = BuildJobManifest(spec, "dns", "ns1", pod);
  EXPECT_EQ(m["metadata"]["name"], KubeJobName("Dns_C1-2"));
  EXPECT_EQ(m["metadata"]["namespace"], "ns1");
  EXPECT_EQ(m["metadata"]["annotations"]["hyperfleet.io/job-name"], "Dns_C1-2");
  EXPECT_EQ(m["spec"]["activeDeadlineSeconds"], 2 + 600);
  EXPECT_EQ(m["metadata"]["annotations"]["hyperfleet.io/timeout-seconds"], "2");
  EXPECT_EQ(m["spec"]["ttlSecondsAfterFinished"], 3600) << "finished Jobs are cleaned up";
  EXPECT_EQ(m["spec"]["podFailurePolicy"]["rules"][0]["action"], "Ignore");
  EXPECT_EQ(m["spec"]["podFailurePolicy"]["rules"][0]["onPodConditions"][0]["type"],
            "DisruptionTarget");
  const json& container = m["spec"]["template"]["spec"]["containers"][0];
  EXPECT_FALSE(container.contains("command"));
  EXPECT_FALSE(container.contains("resources"));
  EXPECT_FALSE(m["spec"]["template"]["spec"].contains("serviceAccountName"));
}

}  // namespace
}  // namespace hf::jobs::kube
