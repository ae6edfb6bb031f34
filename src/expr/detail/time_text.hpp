#pragma once

// Timestamps and durations as text and as nanosecond counts (CEL's RFC 3339 and "1.5s" forms).

#include <optional>
#include <string>
#include <string_view>

#include "expr/value.hpp"

namespace hf::expr::detail {

using Nanos = __int128;

inline constexpr int64_t kMinTimestampSeconds = -62135596800;  // 0001-01-01T00:00:00Z
inline constexpr int64_t kMaxTimestampSeconds = 253402300799;  // 9999-12-31T23:59:59Z
inline constexpr Nanos kNanosPerSecond = 1'000'000'000;

Nanos ToNanos(const Timestamp& t);
Nanos ToNanos(const Duration& d);
// nullopt when out of CEL's range (timestamps: years 0001-9999; durations: the int64 range of
// nanoseconds, about ±292 years, per langdef.md "Overflow").
std::optional<Timestamp> TimestampFromNanos(Nanos n);
std::optional<Duration> DurationFromNanos(Nanos n);

// "2009-02-13T23:31:30Z", with 3, 6 or 9 fractional digits when the nanos are not zero.
std::string FormatTimestamp(const Timestamp& t);
// RFC 3339 with a 'T' and a 'Z' or ±HH:MM offset, up to 9 fractional digits; nullopt when
// malformed or out of range.
std::optional<Timestamp> ParseTimestamp(std::string_view text);
// "1.5s", "-0.000000001s", "0s".
std::string FormatDuration(const Duration& d);
// Go-style durations: an optional sign, then one or more decimal numbers with units h, m, s, ms,
// us (or µs), ns: "1h30m", "1.5s", "-2ms". nullopt when malformed or out of range.
std::optional<Duration> ParseDuration(std::string_view text);

// The broken-down civil time of `t` at a UTC offset of `offset_seconds`.
struct CivilTime {
  int64_t year;
  int month;  // 1-12
  int day;    // 1-31
  int hour, minute, second;
  int day_of_week;  // 0 = Sunday
  int day_of_year;  // 0-based
};
CivilTime ToCivil(const Timestamp& t, int64_t offset_seconds);

// The UTC offset in seconds at instant `t` of a time zone: "UTC", an IANA name from the system
// tz database ("Europe/Paris"), or a fixed offset "+01:00", "-02:30", "02:00". nullopt when
// unknown.
std::optional<int64_t> ZoneOffset(std::string_view zone, const Timestamp& t);

}  // namespace hf::expr::detail
