#include "common/time.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hf {
namespace {

TEST(Time, FormatsWithMicrosecondsInUtc) {
  auto t = ParseTime("2026-01-02T03:04:05.123456Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatTime(*t), "2026-01-02T03:04:05.123456Z");
  EXPECT_EQ(FormatTime(*ParseTime("2026-01-02T03:04:05Z")), "2026-01-02T03:04:05.000000Z");
  for (const char* text :
       {"0001-01-01T00:00:00.000001Z", "1969-12-31T23:59:59.999999Z", "1970-01-01T00:00:00.000000Z",
        "9999-12-31T23:59:59.999999Z", "2024-02-29T12:34:56.789012Z"}) {
    EXPECT_EQ(FormatTime(*ParseTime(text)), text);
  }
  EXPECT_EQ(FormatTime(*ParseTime("9999-12-31T23:59:59Z") + std::chrono::hours(24)),
            "10000-01-01T23:59:59.000000Z");
}

TEST(Time, OneBufferFormatsASequenceOfTimes) {
  const Time a = *ParseTime("2026-01-02T03:04:05.123456Z");
  const Time b = a + std::chrono::microseconds(1);
  const Time far = *ParseTime("9999-12-31T23:59:59Z") + std::chrono::hours(24);
  TimeText buf;
  std::vector<std::string> texts;
  for (Time t : {a, a, b, a, far, far, a}) texts.emplace_back(FormatTime(t, buf));
  EXPECT_EQ(texts, (std::vector<std::string>{
                       "2026-01-02T03:04:05.123456Z", "2026-01-02T03:04:05.123456Z",
                       "2026-01-02T03:04:05.123457Z", "2026-01-02T03:04:05.123456Z",
                       "10000-01-01T23:59:59.000000Z", "10000-01-01T23:59:59.000000Z",
                       "2026-01-02T03:04:05.123456Z"}));
}

TEST(Time, ParsesOffsetsAndPostgresForms) {
  EXPECT_EQ(FormatTime(*ParseTime("2026-01-02T05:04:05+02:00")), "2026-01-02T03:04:05.000000Z");
  EXPECT_EQ(FormatTime(*ParseTime("2026-01-02 03:04:05.5+00")), "2026-01-02T03:04:05.500000Z");
  EXPECT_EQ(FormatTime(*ParseTime("2026-01-01T23:30:00-01:00")), "2026-01-02T00:30:00.000000Z");
  EXPECT_EQ(FormatTime(*ParseTime("2026-01-02t03:04:05.1234567891z")),
            "2026-01-02T03:04:05.123456Z");
}

TEST(Time, RejectsBadText) {
  for (const char* bad :
       {"", "2026-01-02", "2026-13-02T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-02T25:00:00Z",
        "2026-01-02T00:00:00", "2026-01-02T00:00:00.Z", "2026-01-02T00:00:00Zjunk", "yesterday"}) {
    auto t = ParseTime(bad);
    EXPECT_FALSE(t) << bad;
    if (!t) {
      EXPECT_EQ(t.error().code, ErrorCode::kInvalidArgument);
    }
  }
}

TEST(Time, FormattedTextSortsLikeTime) {
  auto a = *ParseTime("2026-01-02T03:04:05.9Z");
  auto b = *ParseTime("2026-01-02T03:04:06Z");
  EXPECT_LT(FormatTime(a), FormatTime(b));
}

TEST(Duration, ParsesUnits) {
  EXPECT_EQ(ParseDuration("250ms")->count(), 250);
  EXPECT_EQ(ParseDuration("10s")->count(), 10'000);
  EXPECT_EQ(ParseDuration("5m")->count(), 300'000);
  EXPECT_EQ(ParseDuration("1h30m")->count(), 5'400'000);
  EXPECT_EQ(ParseDuration("1.5s")->count(), 1'500);
  EXPECT_EQ(ParseDuration("3")->count(), 3'000);
  for (const char* bad : {"", "s", "10x", "-5s", "5 s", "1.2.3s"})
    EXPECT_FALSE(ParseDuration(bad)) << bad;
}

TEST(Duration, FormatsShortest) {
  EXPECT_EQ(FormatDuration(Duration{300'000}), "5m");
  EXPECT_EQ(FormatDuration(Duration{10'000}), "10s");
  EXPECT_EQ(FormatDuration(Duration{250}), "250ms");
}

}  // namespace
}  // namespace hf
