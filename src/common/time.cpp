#include "common/time.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace hf {
namespace {

bool ReadDigits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

std::unexpected<Error> BadTime(std::string_view text) {
  return Fail(ErrorCode::kInvalidArgument, "invalid timestamp '" + std::string(text) +
                                               "': expected RFC 3339, e.g. 2026-01-01T00:00:00Z");
}

}  // namespace

Time Now() {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

std::string_view FormatTime(Time t, TimeText& buf) {
  using namespace std::chrono;
  if (buf.size > 0 && buf.last == t) return {buf.data, buf.size};
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss<microseconds> hms{t - day};
  const int year = int(ymd.year());
  if (year < 0 || year > 9999) {
    const int n = std::snprintf(buf.data, sizeof buf.data, "%04d-%02u-%02uT%02d:%02d:%02d.%06ldZ",
                                year, unsigned(ymd.month()), unsigned(ymd.day()),
                                int(hms.hours().count()), int(hms.minutes().count()),
                                int(hms.seconds().count()), long(hms.subseconds().count()));
    buf.size = 0;  // not remembered
    return {buf.data, std::min(sizeof buf.data - 1, static_cast<size_t>(std::max(n, 0)))};
  }
  // YYYY-MM-DDTHH:MM:SS.uuuuuuZ, written by hand: this runs for every time of every resource a
  // list returns, and snprintf was a tenth of a list's CPU.
  constexpr std::string_view kShape = "0000-00-00T00:00:00.000000Z";
  std::copy(kShape.begin(), kShape.end(), buf.data);
  const auto put = [&](size_t end, long value, int width) {
    for (int k = 1; k <= width; ++k, value /= 10) buf.data[end - k] = char('0' + value % 10);
  };
  put(4, year, 4);
  put(7, unsigned(ymd.month()), 2);
  put(10, unsigned(ymd.day()), 2);
  put(13, hms.hours().count(), 2);
  put(16, hms.minutes().count(), 2);
  put(19, hms.seconds().count(), 2);
  put(26, hms.subseconds().count(), 6);
  buf.last = t;
  buf.size = kShape.size();
  return {buf.data, kShape.size()};
}

std::string FormatTime(Time t) {
  TimeText buf;
  return std::string(FormatTime(t, buf));
}

Result<Time> ParseTime(std::string_view s) {
  using namespace std::chrono;
  int y, mo, d, h, mi, sec;
  if (!ReadDigits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !ReadDigits(s, 5, 2, mo) ||
      s[7] != '-' || !ReadDigits(s, 8, 2, d) || !(s[10] == 'T' || s[10] == 't' || s[10] == ' ') ||
      !ReadDigits(s, 11, 2, h) || s[13] != ':' || !ReadDigits(s, 14, 2, mi) || s[16] != ':' ||
      !ReadDigits(s, 17, 2, sec)) {
    return BadTime(s);
  }
  year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return BadTime(s);
  size_t pos = 19;
  long micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 6) {
        micros = micros * 10 + (s[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (pos == start) return BadTime(s);
    for (; digits < 6; ++digits) micros *= 10;
  }
  if (pos >= s.size()) return BadTime(s);
  long offset_minutes = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int sign = s[pos] == '-' ? -1 : 1;
    int oh = 0, om = 0;
    if (!ReadDigits(s, pos + 1, 2, oh)) return BadTime(s);
    pos += 3;
    if (pos < s.size()) {
      if (s[pos] == ':') ++pos;
      if (!ReadDigits(s, pos, 2, om)) return BadTime(s);
      pos += 2;
    }
    if (oh > 23 || om > 59) return BadTime(s);
    offset_minutes = sign * (oh * 60 + om);
  } else {
    return BadTime(s);
  }
  if (pos != s.size()) return BadTime(s);
  Time t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec} + microseconds{micros};
  return t - minutes{offset_minutes};
}

Result<Duration> ParseDuration(std::string_view text) {
  auto bad = [&] {
    return Fail(ErrorCode::kInvalidArgument,
                "invalid duration '" + std::string(text) + "': use e.g. 250ms, 10s, 5m, 1h30m");
  };
  if (text.empty()) return bad();
  double total_ms = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t start = pos;
    while (pos < text.size() && ((text[pos] >= '0' && text[pos] <= '9') || text[pos] == '.')) ++pos;
    if (pos == start) return bad();
    double value = 0;
    auto [ptr, ec] = std::from_chars(text.data() + start, text.data() + pos, value);
    if (ec != std::errc{} || ptr != text.data() + pos) return bad();
    size_t unit_start = pos;
    while (pos < text.size() && text[pos] >= 'a' && text[pos] <= 'z') ++pos;
    std::string_view unit = text.substr(unit_start, pos - unit_start);
    if (unit.empty() && start == 0 && pos == text.size()) unit = "s";
    if (unit == "ms")
      total_ms += value;
    else if (unit == "s")
      total_ms += value * 1000;
    else if (unit == "m")
      total_ms += value * 60'000;
    else if (unit == "h")
      total_ms += value * 3'600'000;
    else
      return bad();
  }
  return Duration{std::llround(total_ms)};
}

std::string FormatDuration(Duration d) {
  auto ms = d.count();
  if (ms % 3'600'000 == 0 && ms != 0) return std::to_string(ms / 3'600'000) + "h";
  if (ms % 60'000 == 0 && ms != 0) return std::to_string(ms / 60'000) + "m";
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace hf
