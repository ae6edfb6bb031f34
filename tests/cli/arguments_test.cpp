// --label and --spec parsing.
#include "cli/arguments.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace hf::cli {
namespace {

using nlohmann::json;

TEST(ParseLabels, KeyValuePairsLastWins) {
  auto labels = ParseLabels({"env=prod", "team=a=b", "empty=", "env=dev"});
  ASSERT_TRUE(labels) << labels.error().message;
  EXPECT_EQ(*labels, (json{{"env", "dev"}, {"team", "a=b"}, {"empty", ""}}));
  EXPECT_EQ(*ParseLabels({}), json::object());
}

TEST(ParseLabels, RejectsMissingKeyOrEquals) {
  for (const char* bad : {"novalue", "=x", ""}) {
    auto r = ParseLabels({"ok=1", bad});
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().message, "invalid --label '" + std::string(bad) + "': expected key=value");
  }
}

TEST(ParseSpec, InlineObject) {
  auto spec = ParseSpec(R"({"region":"eu","size":3})");
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(*spec, (json{{"region", "eu"}, {"size", 3}}));
}

TEST(ParseSpec, InvalidJsonAndNonObjectsAreOneLine) {
  auto bad = ParseSpec("{region: eu}");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.rfind("--spec is not valid JSON: parse error at line 1", 0), 0u)
      << bad.error().message;
  EXPECT_EQ(bad.error().message.find('\n'), std::string::npos);
  auto array = ParseSpec("[1]");
  ASSERT_FALSE(array);
  EXPECT_EQ(array.error().message, "--spec must be a JSON object, got array");
  auto deep = ParseSpec("{\"a\":" + std::string(100'000, '[') + std::string(100'000, ']') + "}");
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error().message, "--spec nests deeper than 100 levels");
}

TEST(ParseSpec, FromFile) {
  std::string path = ::testing::TempDir() + "/spec_test.json";
  std::ofstream(path) << "{\n  \"region\": \"us\"\n}\n";
  auto spec = ParseSpec("@" + path);
  ASSERT_TRUE(spec) << spec.error().message;
  EXPECT_EQ(*spec, (json{{"region", "us"}}));
  std::ofstream(path) << "not json";
  auto bad = ParseSpec("@" + path);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("--spec file '" + path + "' is not valid JSON"),
            std::string::npos)
      << bad.error().message;
  std::remove(path.c_str());
  auto missing = ParseSpec("@" + path);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message,
            "cannot read --spec file '" + path + "': No such file or directory");
}

}  // namespace
}  // namespace hf::cli
