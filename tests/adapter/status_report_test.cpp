// Status report bodies and the conditions for each situation of
// docs/architecture.md#the-flow-of-one-event.
#include "adapter/status_report.hpp"

#include <gtest/gtest.h>

namespace hf::adapter {
namespace {

std::map<std::string, ReportCondition> ByType(const std::vector<ReportCondition>& list) {
  std::map<std::string, ReportCondition> out;
  for (const auto& c : list) out[c.type] = c;
  return out;
}

jobs::JobState Job(jobs::JobPhase phase, std::string reason = "", std::string message = "") {
  jobs::JobState s;
  s.name = "dns-c1-2";
  s.phase = phase;
  s.reason = std::move(reason);
  s.message = std::move(message);
  return s;
}

TEST(StatusReportTest, JobPhasesMapToConditions) {
  const StatusReasons r;
  auto running = ByType(JobConditions(Job(jobs::JobPhase::kRunning), r));
  EXPECT_EQ(running["Applied"].status, "True");
  EXPECT_EQ(running["Applied"].reason, "JobLaunched");
  EXPECT_EQ(running["Available"].status, "False");
  EXPECT_EQ(running["Available"].reason, "JobRunning");
  EXPECT_EQ(running["Health"].status, "True");

  auto ok = ByType(JobConditions(Job(jobs::JobPhase::kSucceeded, "Done", "records created"), r));
  EXPECT_EQ(ok["Available"].status, "True");
  EXPECT_EQ(ok["Available"].reason, "JobSucceeded");
  EXPECT_EQ(ok["Available"].message, "records created");

  auto failed = ByType(JobConditions(Job(jobs::JobPhase::kFailed, "NoCapacity", "full"), r));
  EXPECT_EQ(failed["Available"].status, "False");
  EXPECT_EQ(failed["Available"].reason, "JobFailed");
  EXPECT_EQ(failed["Available"].message, "job dns-c1-2 failed: NoCapacity: full");
  EXPECT_EQ(failed["Health"].status, "True");

  auto pending = ByType(JobConditions(Job(jobs::JobPhase::kPending), r));
  EXPECT_EQ(pending["Available"].reason, "JobRunning");
  EXPECT_EQ(pending["Health"].status, "True");
  auto stuck = ByType(JobConditions(
      Job(jobs::JobPhase::kPending, "ImagePullBackOff", "Back-off pulling image \"x:1\""), r));
  EXPECT_EQ(stuck["Applied"].status, "True");
  EXPECT_EQ(stuck["Available"].status, "False");
  EXPECT_EQ(stuck["Available"].reason, "ImagePullBackOff");
  EXPECT_EQ(stuck["Health"].status, "False");
  EXPECT_EQ(stuck["Health"].reason, "ImagePullBackOff");
  EXPECT_EQ(stuck["Health"].message,
            "job dns-c1-2 cannot start: ImagePullBackOff: Back-off pulling image \"x:1\"");
}

TEST(StatusReportTest, PreconditionsFinalizedAndExecutionFailure) {
  const StatusReasons r;
  auto pnm = ByType(PreconditionsNotMetConditions("labels.env is missing (want exists)", r));
  EXPECT_EQ(pnm["Applied"].status, "False");
  EXPECT_EQ(pnm["Applied"].reason, "PreconditionsNotMet");
  EXPECT_NE(pnm["Applied"].message.find("labels.env"), std::string::npos);
  EXPECT_EQ(pnm["Available"].status, "False");
  EXPECT_EQ(pnm["Health"].status, "True");

  auto fin = ByType(FinalizedConditions(2, r));
  EXPECT_EQ(fin["Finalized"].status, "True");
  EXPECT_EQ(fin["Applied"].status, "False");
  EXPECT_EQ(fin["Available"].status, "False");
  EXPECT_EQ(fin["Health"].status, "True");

  auto err = ByType(ExecutionFailedConditions("job", "invalid job name"));
  EXPECT_EQ(err["Health"].status, "False");
  EXPECT_EQ(err["Health"].reason, "ExecutionFailed:job");
  EXPECT_EQ(err["Available"].status, "False");
}

TEST(StatusReportTest, BuildsTheWireBody) {
  auto body = BuildReport("dns", 3, Time{}, {{"Applied", "True", "JobLaunched", "m"}},
                          {{"job_name", "dns-c1-3"}});
  EXPECT_EQ(body["adapter"], "dns");
  EXPECT_EQ(body["observed_generation"], 3);
  EXPECT_EQ(body["observed_time"], "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(body["conditions"][0]["reason"], "JobLaunched");
  EXPECT_EQ(body["metadata"]["job_name"], "dns-c1-3");
  EXPECT_FALSE(body.contains("data"));
}

}  // namespace
}  // namespace hf::adapter
