#include "common/text.hpp"

#include <gtest/gtest.h>

namespace hf {
namespace {

TEST(Split, KeepsEmptyParts) {
  EXPECT_EQ(Split("a..b", '.'), (std::vector<std::string_view>{"a", "", "b"}));
  EXPECT_EQ(Split("", '.'), (std::vector<std::string_view>{""}));
  EXPECT_EQ(Split("spec.region", '.'), (std::vector<std::string_view>{"spec", "region"}));
}

TEST(SplitList, TrimsAndDropsEmptyItems) {
  EXPECT_EQ(SplitList(" a, b\t,,c "), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(SplitList("").empty());
  EXPECT_TRUE(SplitList(" , ").empty());
}

}  // namespace
}  // namespace hf
