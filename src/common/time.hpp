#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace hf {

// A point in time in UTC with microsecond precision (what both databases store).
using Time = std::chrono::sys_time<std::chrono::microseconds>;
using Duration = std::chrono::milliseconds;

Time Now();

// "2026-01-02T03:04:05.123456Z": always UTC, always six fractional digits, so that the text
// form sorts like the time itself (SQLite stores times this way).
std::string FormatTime(Time t);
// The same text written into `buf`, without allocating (hot paths: every time of every listed
// resource); the view lives until the next call with `buf`. A time equal to the last one written
// into `buf` is not written again (a resource's 18 times are mostly a few distinct ones).
struct TimeText {
  char data[40];
  Time last{};
  size_t size = 0;  // of the text of `last` in `data`; 0: none yet
};
std::string_view FormatTime(Time t, TimeText& buf);

// Parses RFC 3339 ("2026-01-02T03:04:05Z", "...05.5+02:00", lower-case t/z, or a space instead of
// 'T', and PostgreSQL's "+00" offsets). Fractions beyond microseconds are truncated.
Result<Time> ParseTime(std::string_view text);

// Parses "250ms", "10s", "5m", "1h", "1h30m", "1.5s"; a bare number is seconds. Negative → error.
Result<Duration> ParseDuration(std::string_view text);

// "250ms", "10s", "5m0s"-style shortest form used in messages ("5m0s" → "5m").
std::string FormatDuration(Duration d);

}  // namespace hf
