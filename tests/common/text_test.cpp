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

TEST(IsValidUtf8, AcceptsWellFormedAndRefusesTheRest) {
  for (std::string_view ok : {"", "ascii", "é", "€", "𝄞", "\xf4\x8f\xbf\xbf"}) {
    EXPECT_TRUE(IsValidUtf8(ok)) << ok;
  }
  for (std::string_view bad : {"\xff", "\xc3", "a\xc3(", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
                               "\xf4\x90\x80\x80", "\xf8\x88\x80\x80\x80", "\x80"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << bad;
  }
}

TEST(ToValidUtf8, ReplacesEachBadByte) {
  EXPECT_EQ(ToValidUtf8("ok é"), "ok é");
  EXPECT_EQ(ToValidUtf8("a\xff"
                        "b"),
            "a\uFFFD"
            "b");
  EXPECT_EQ(ToValidUtf8("\xc3"), "\uFFFD");
  EXPECT_EQ(ToValidUtf8("\xed\xa0\x80"), "\uFFFD\uFFFD\uFFFD");
}

TEST(Utf8Length, CountsCodePoints) {
  EXPECT_EQ(Utf8Length(""), 0u);
  EXPECT_EQ(Utf8Length("abc"), 3u);
  EXPECT_EQ(Utf8Length("é€𝄞"), 3u);
}

}  // namespace
}  // namespace hf
