// ParseStrictJson: one value for every store, or a refusal naming the field.
#include "common/strict_json.hpp"

#include <gtest/gtest.h>

namespace hf {
namespace {

// Expects `text` refused with `code`, one violation on `field` with `constraint`.
void ExpectRefused(const std::string& text, const std::string& field,
                   const std::string& constraint) {
  auto r = ParseStrictJson(text);
  ASSERT_FALSE(r) << text;
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << r.error().ToString();
  ASSERT_EQ(r.error().violations.size(), 1u) << r.error().ToString();
  EXPECT_EQ(r.error().violations[0].field, field) << text;
  EXPECT_EQ(r.error().violations[0].constraint, constraint) << text;
  EXPECT_NE(r.error().message.find(field), std::string::npos) << r.error().message;
}

TEST(ParseStrictJson, ParsesOrdinaryJson) {
  auto r = ParseStrictJson(R"({"a":[1,-2,1.5,1e300,"x",true,null,{"b":{}}],"c":"é"})");
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ((*r)["a"][1], -2);
  EXPECT_EQ((*r)["c"], "é");
  EXPECT_EQ((*r)["a"][7]["b"], nlohmann::json::object());
}

TEST(ParseStrictJson, DuplicateKeysAreRefusedNamingTheKey) {
  ExpectRefused(R"({"a":1,"a":2})", "a", "unique");
  ExpectRefused(R"({"spec":{"x":{"y":1,"z":2,"y":3}}})", "spec.x.y", "unique");
  ExpectRefused(R"({"l":[{"k":1},{"k":1,"k":2}]})", "l[1].k", "unique");
  // The same key in sibling objects is fine.
  EXPECT_TRUE(ParseStrictJson(R"({"a":{"k":1},"b":{"k":1}})"));
}

TEST(ParseStrictJson, NulInAnyStringOrKeyIsRefusedNamingWhere) {
  ExpectRefused(R"({"spec":{"a":"x\u0000y"}})", "spec.a", "format");
  ExpectRefused(R"({"spec":{"k\u0000":1}})", std::string("spec.k\0", 7), "format");
  ExpectRefused(R"({"conditions":[{"message":"ok"},{"message":"\u0000"}]})",
                "conditions[1].message", "format");
  ExpectRefused(R"({"labels":{"env":"a\u0000"}})", "labels.env", "format");
}

TEST(ParseStrictJson, IntegersKeepTheirValueOrAreRefused) {
  auto max = ParseStrictJson(R"({"a":9223372036854775807,"b":-9223372036854775808})");
  ASSERT_TRUE(max);
  EXPECT_EQ((*max)["a"].get<int64_t>(), INT64_MAX);
  EXPECT_EQ((*max)["b"].get<int64_t>(), INT64_MIN);
  ExpectRefused(R"({"spec":{"n":9223372036854775808}})", "spec.n", "max");
  ExpectRefused(R"({"spec":{"n":18446744073709551616}})", "spec.n", "max");
  ExpectRefused(R"({"spec":{"n":[1,-9223372036854775809]}})", "spec.n[1]", "min");
  // Beyond a double is not JSON we can hold at all.
  auto huge = ParseStrictJson(R"({"n":1e400})");
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().code, ErrorCode::kMalformed);
}

TEST(ParseStrictJson, InvalidUtf8IsMalformed) {
  for (const std::string text : {"{\"a\":\"\xff\"}", "{\"a\":\"\xc3\"}", "{\"\xed\xa0\x80\":1}"}) {
    auto r = ParseStrictJson(text);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::kMalformed);
    EXPECT_FALSE(r.error().message.starts_with("[json.exception")) << r.error().message;
  }
}

}  // namespace
}  // namespace hf
