// The job-result codec both runners read a job's own verdict with (job_result.hpp).
#include "jobs/job_result.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hf::jobs {
namespace {

TEST(JobResultTest, DecodesStatusReasonMessageAndData) {
  auto r = ParseJobResult(
      R"({"status":"failure","reason":"NoZone","message":"zone missing","data":{"n":[1,2]}})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->phase, JobPhase::kFailed);
  EXPECT_EQ(r->reason, "NoZone");
  EXPECT_EQ(r->message, "zone missing");
  EXPECT_EQ(r->data, nlohmann::json::parse(R"({"n":[1,2]})"));

  auto ok = ParseJobResult(R"({"status":"success"})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->phase, JobPhase::kSucceeded);
  EXPECT_EQ(ok->reason, "Completed");  // defaulted
  EXPECT_TRUE(ok->message.empty());
  EXPECT_TRUE(ok->data.is_null());
}

TEST(JobResultTest, ReasonDefaultsAndNonStringFieldsAreIgnored) {
  auto r = ParseJobResult(R"({"status":"failure","reason":7,"message":["x"]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->reason, "Failed");
  EXPECT_TRUE(r->message.empty());
}

TEST(JobResultTest, AnythingElseIsNotAResult) {
  for (const char* text : {"", "not json", "[]", "\"success\"", R"({"status":"maybe"})",
                           R"({"status":true})", R"({"reason":"NoStatus"})", "{\"status\":"}) {
    EXPECT_FALSE(ParseJobResult(text)) << text;
  }
  // Too deep to walk safely, although valid.
  const std::string deep =
      R"({"status":"success","data":)" + std::string(200, '[') + std::string(200, ']') + "}";
  EXPECT_FALSE(ParseJobResult(deep));
}

}  // namespace
}  // namespace hf::jobs
