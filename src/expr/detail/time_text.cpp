#include "expr/detail/time_text.hpp"

#include <chrono>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "common/file.hpp"

namespace hf::expr::detail {
namespace {

std::string Fraction(int32_t nanos) {
  if (nanos == 0) return "";
  std::string digits = std::to_string(nanos);
  digits.insert(0, 9 - digits.size(), '0');
  while (digits.back() == '0') digits.pop_back();
  return "." + digits;
}

bool Digits(std::string_view s, size_t pos, size_t n, int64_t& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// A parsed TZif file: transition times and the UTC offset from each on.
struct Zone {
  std::vector<int64_t> times;
  std::vector<int64_t> offsets;  // offsets[i] applies from times[i]
  int64_t initial = 0;           // before the first transition
};

int64_t ReadBig(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | p[i];
  if (n == 4) return int32_t(uint32_t(v));
  return int64_t(v);
}

// Parses the version 2+ (64-bit) block of a TZif file, or the version 1 block when that is all
// there is. Times past the last transition keep its offset (the POSIX rule in the footer is not
// read; Debian's files list transitions to 2037).
std::optional<Zone> ParseTzif(const std::string& data) {
  auto parse_block = [&](size_t at, int time_size, size_t& end) -> std::optional<Zone> {
    if (at + 44 > data.size() || std::memcmp(data.data() + at, "TZif", 4) != 0) return {};
    const auto* h = reinterpret_cast<const unsigned char*>(data.data() + at + 20);
    const int64_t isutc = ReadBig(h, 4), isstd = ReadBig(h + 4, 4), leap = ReadBig(h + 8, 4),
                  timecnt = ReadBig(h + 12, 4), typecnt = ReadBig(h + 16, 4),
                  charcnt = ReadBig(h + 20, 4);
    const size_t size = timecnt * time_size + timecnt + typecnt * 6 + charcnt +
                        leap * (time_size + 4) + isstd + isutc;
    const size_t body = at + 44;
    if (typecnt <= 0 || body + size > data.size()) return {};
    end = body + size;
    const auto* p = reinterpret_cast<const unsigned char*>(data.data() + body);
    const unsigned char* idx = p + timecnt * time_size;
    const unsigned char* types = idx + timecnt;
    Zone zone;
    auto type_offset = [&](int t) { return ReadBig(types + 6 * t, 4); };
    zone.initial = type_offset(0);
    for (int64_t i = 0; i < timecnt; ++i) {
      if (idx[i] >= typecnt) return {};
      zone.times.push_back(ReadBig(p + i * time_size, time_size));
      zone.offsets.push_back(type_offset(idx[i]));
    }
    return zone;
  };
  size_t end = 0;
  auto v1 = parse_block(0, 4, end);
  if (!v1) return {};
  if (data.size() > 4 && data[4] >= '2') {
    size_t end2 = 0;
    if (auto v2 = parse_block(end, 8, end2)) return v2;
  }
  return v1;
}

// The zone named `name` from the system tz database, parsed once and kept (only zones that
// exist are kept, so the cache is bounded by the database); nullptr when unknown.
const Zone* LoadZone(std::string_view name) {
  static std::mutex mu;
  static std::unordered_map<std::string, Zone> zones;  // guarded by mu; nodes never move
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' &&
        c != '+')
      return nullptr;
  }
  if (name.empty() || name.front() == '/' || name.find("..") != std::string_view::npos)
    return nullptr;
  const std::string key(name);
  {
    std::lock_guard lock(mu);
    if (auto it = zones.find(key); it != zones.end()) return &it->second;
  }
  // Read without the lock; a thread that loses the race keeps the first copy.
  // ReadFile, not an istreambuf_iterator: a name that is a folder of the database ("Europe")
  // makes the read throw, where ReadFile reports it as no content.
  const auto text = ReadFile("/usr/share/zoneinfo/" + key);
  if (!text) return nullptr;
  auto zone = ParseTzif(*text);
  if (!zone) return nullptr;
  std::lock_guard lock(mu);
  return &zones.try_emplace(key, std::move(*zone)).first->second;
}

}  // namespace

Nanos ToNanos(const Timestamp& t) { return Nanos(t.seconds) * kNanosPerSecond + t.nanos; }
Nanos ToNanos(const Duration& d) { return Nanos(d.seconds) * kNanosPerSecond + d.nanos; }

std::optional<Timestamp> TimestampFromNanos(Nanos n) {
  Nanos s = n / kNanosPerSecond, ns = n % kNanosPerSecond;
  if (ns < 0) {
    ns += kNanosPerSecond;
    s -= 1;
  }
  if (s < kMinTimestampSeconds || s > kMaxTimestampSeconds) return std::nullopt;
  return Timestamp{int64_t(s), int32_t(ns)};
}

std::optional<Duration> DurationFromNanos(Nanos n) {
  if (n < -Nanos(INT64_MAX) || n > Nanos(INT64_MAX)) return std::nullopt;
  const Nanos s = n / kNanosPerSecond, ns = n % kNanosPerSecond;
  return Duration{int64_t(s), int32_t(ns)};
}

CivilTime ToCivil(const Timestamp& t, int64_t offset_seconds) {
  using namespace std::chrono;
  const int64_t local = t.seconds + offset_seconds;
  int64_t days = local / 86400, rem = local % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  const sys_days day{std::chrono::days(days)};
  const year_month_day ymd{day};
  const sys_days jan1{ymd.year() / January / 1};
  return CivilTime{int(ymd.year()),
                   int(unsigned(ymd.month())),
                   int(unsigned(ymd.day())),
                   int(rem / 3600),
                   int(rem % 3600 / 60),
                   int(rem % 60),
                   int(weekday(day).c_encoding()),
                   int((day - jan1).count())};
}

std::string FormatTimestamp(const Timestamp& t) {
  const CivilTime c = ToCivil(t, 0);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d", static_cast<long long>(c.year),
                c.month, c.day, c.hour, c.minute, c.second);
  return buf + Fraction(t.nanos) + "Z";
}

std::optional<Timestamp> ParseTimestamp(std::string_view s) {
  int64_t year, month, day, hour, minute, second;
  if (!Digits(s, 0, 4, year) || s.size() < 19 || s[4] != '-' || !Digits(s, 5, 2, month) ||
      s[7] != '-' || !Digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') ||
      !Digits(s, 11, 2, hour) || s[13] != ':' || !Digits(s, 14, 2, minute) || s[16] != ':' ||
      !Digits(s, 17, 2, second))
    return std::nullopt;
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n == 9) return std::nullopt;
      nanos = nanos * 10 + (s[pos++] - '0');
      ++n;
    }
    if (n == 0) return std::nullopt;
    for (; n < 9; ++n) nanos *= 10;
  }
  int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int64_t oh, om;
    if (!Digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year(int(year)), std::chrono::month(unsigned(month)),
                           std::chrono::day(unsigned(day))};
  if (!ymd.ok() || hour > 23 || minute > 59 || second > 59) return std::nullopt;
  const int64_t days = sys_days(ymd).time_since_epoch().count();
  const int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset;
  return TimestampFromNanos(Nanos(secs) * kNanosPerSecond + nanos);
}

std::string FormatDuration(const Duration& d) {
  const bool negative = d.seconds < 0 || d.nanos < 0;
  const int64_t s = d.seconds < 0 ? -d.seconds : d.seconds;
  const int32_t ns = d.nanos < 0 ? -d.nanos : d.nanos;
  return (negative ? "-" : "") + std::to_string(s) + Fraction(ns) + "s";
}

std::optional<Duration> ParseDuration(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return Duration{};
  if (s.empty()) return std::nullopt;
  Nanos total = 0;
  const Nanos kLimit = Nanos(INT64_MAX) * 4;
  while (!s.empty()) {
    Nanos whole = 0, frac = 0, scale = 1;
    size_t i = 0;
    bool any = false;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      whole = whole * 10 + (s[i++] - '0');
      if (whole > kLimit) return std::nullopt;
      any = true;
    }
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (scale < Nanos(1'000'000'000'000'000'000)) {
          frac = frac * 10 + (s[i] - '0');
          scale *= 10;
        }
        ++i;
        any = true;
      }
    }
    if (!any) return std::nullopt;
    size_t u = i;
    while (u < s.size() && !(s[u] >= '0' && s[u] <= '9') && s[u] != '.') ++u;
    const std::string_view unit = s.substr(i, u - i);
    Nanos per;
    if (unit == "ns") {
      per = 1;
    } else if (unit == "us" || unit == "\u00b5s" || unit == "\u03bcs") {
      per = 1'000;
    } else if (unit == "ms") {
      per = 1'000'000;
    } else if (unit == "s") {
      per = kNanosPerSecond;
    } else if (unit == "m") {
      per = 60 * kNanosPerSecond;
    } else if (unit == "h") {
      per = 3600 * kNanosPerSecond;
    } else {
      return std::nullopt;
    }
    total += whole * per + frac * per / scale;
    if (total > kLimit) return std::nullopt;
    s.remove_prefix(u);
  }
  return DurationFromNanos(negative ? -total : total);
}

std::optional<int64_t> ZoneOffset(std::string_view zone, const Timestamp& t) {
  if (zone == "UTC" || zone == "Z") return 0;
  // A fixed offset: [+-]HH:MM (a bare HH:MM is east of UTC).
  std::string_view s = zone;
  int sign = 1;
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) {
    sign = s.front() == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  int64_t h, m;
  if (s.size() == 5 && Digits(s, 0, 2, h) && s[2] == ':' && Digits(s, 3, 2, m)) {
    if (h > 23 || m > 59) return std::nullopt;
    return sign * (h * 3600 + m * 60);
  }
  const Zone* z = LoadZone(zone);
  if (z == nullptr) return std::nullopt;
  int64_t offset = z->initial;
  for (size_t i = 0; i < z->times.size() && z->times[i] <= t.seconds; ++i) offset = z->offsets[i];
  return offset;
}

}  // namespace hf::expr::detail
