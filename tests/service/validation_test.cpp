// The size caps of service::Limits as the validation functions apply them.
#include "service/validation.hpp"

#include <gtest/gtest.h>

namespace hf::service {
namespace {

using nlohmann::json;

TEST(ValidateSpecSize, CountsCompactJsonBytesAndNamesTheSetting) {
  Limits limits;
  limits.spec_max_bytes = 13;
  EXPECT_TRUE(ValidateSpecSize(json{{"a", "12345"}}, limits));  // {"a":"12345"}: 13 bytes
  auto over = ValidateSpecSize(json{{"a", "123456"}}, limits);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(over.error().message.find("spec_max_bytes"), std::string::npos);
  EXPECT_EQ(over.error().violations.at(0).field, "spec");
}

TEST(ValidateLabels, BoundsTheCount) {
  Limits limits;
  limits.labels_max_count = 2;
  EXPECT_TRUE(ValidateLabels({{"a", "1"}, {"b", "2"}}, limits));
  auto over = ValidateLabels({{"a", "1"}, {"b", "2"}, {"c", "3"}}, limits);
  ASSERT_FALSE(over);
  EXPECT_NE(over.error().violations.at(0).message.find("labels_max_count"), std::string::npos);
}

TEST(ValidateReportSize, ReportsEveryLimitPassed) {
  Limits limits;
  limits.conditions_max_count = 1;
  limits.condition_reason_max_length = 3;
  limits.condition_message_max_length = 4;
  limits.status_data_max_bytes = 8;
  StatusReport ok;
  ok.conditions = {{"Available", "True", "abc", "éééé", {}}};  // characters, not bytes
  ok.data = json{{"k", 1}};                                    // {"k":1} is 7 bytes
  EXPECT_TRUE(ValidateReportSize(ok, limits));
  StatusReport over = ok;
  over.conditions.push_back({"Applied", "True", "abcd", "12345", {}});
  over.data = json{{"k", 123}};  // 9 bytes
  auto r = ValidateReportSize(over, limits);
  ASSERT_FALSE(r);
  std::vector<std::string> fields;
  for (const auto& v : r.error().violations) fields.push_back(v.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"conditions", "conditions[1].reason",
                                              "conditions[1].message", "data"}));
}

}  // namespace
}  // namespace hf::service
