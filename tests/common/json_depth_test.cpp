#include "common/json_depth.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hf {
namespace {

std::string Nested(int depth, char open = '[', char close = ']') {
  return std::string(depth, open) + std::string(depth, close);
}

TEST(JsonNestedDeeperThan, CountsArraysAndObjectsTogether) {
  EXPECT_FALSE(JsonNestedDeeperThan("{}", 1));
  EXPECT_FALSE(JsonNestedDeeperThan(R"({"a":[1,{"b":2}]})", 3));
  EXPECT_TRUE(JsonNestedDeeperThan(R"({"a":[1,{"b":2}]})", 2));
  EXPECT_FALSE(JsonNestedDeeperThan(Nested(kMaxJsonDepth)));
  EXPECT_TRUE(JsonNestedDeeperThan(Nested(kMaxJsonDepth + 1)));
  // Siblings do not add up: depth, not count.
  std::string wide = "[";
  for (int i = 0; i < 1000; ++i) wide += "[],";
  wide += "[]]";
  EXPECT_FALSE(JsonNestedDeeperThan(wide, 2));
}

TEST(JsonNestedDeeperThan, IgnoresBracketsInStrings) {
  const std::string in_string = "{\"a\":\"" + Nested(500) + "\"}";
  EXPECT_FALSE(JsonNestedDeeperThan(in_string, 1));
  // An escaped quote does not end the string.
  EXPECT_FALSE(JsonNestedDeeperThan(R"(["\"[[[["])", 1));
  EXPECT_TRUE(JsonNestedDeeperThan(R"(["\\",[[]]])", 2));
}

}  // namespace
}  // namespace hf
