// Timestamps and durations: timestamp(), duration(), and the getters (getFullYear …
// getMilliseconds) with an optional time zone.
#include "expr/detail/function_table.hpp"
#include "expr/detail/time_text.hpp"

namespace hf::expr::detail {
namespace {

Result<Value> ToTimestamp(std::span<const Value> args, Cost&) {
  if (args.size() == 1) {
    if (args[0].AsTimestamp()) return args[0];
    if (const auto* s = args[0].AsString()) {
      if (auto t = ParseTimestamp(*s)) return Value(*t);
      return EvalError("invalid timestamp '" + *s + "' (RFC 3339, years 0001-9999: range)");
    }
    if (const auto* i = args[0].AsInt()) {
      if (*i < kMinTimestampSeconds || *i > kMaxTimestampSeconds)
        return EvalError("timestamp out of range");
      return Value(Timestamp{*i, 0});
    }
  }
  return NoSuchOverload("timestamp", args, false);
}

Result<Value> ToDuration(std::span<const Value> args, Cost&) {
  if (args.size() == 1) {
    if (args[0].AsDuration()) return args[0];
    if (const auto* s = args[0].AsString()) {
      if (auto d = ParseDuration(*s)) return Value(*d);
      return EvalError("invalid duration '" + *s + "' (e.g. \"1h30m\", \"1.5s\"; out of range?)");
    }
  }
  return NoSuchOverload("duration", args, false);
}

enum class Field {
  kFullYear,
  kMonth,
  kDate,
  kDayOfMonth,
  kDayOfWeek,
  kDayOfYear,
  kHours,
  kMinutes,
  kSeconds,
  kMilliseconds
};

// A timestamp getter, or for durations (hours, minutes, seconds, milliseconds) their totals.
template <Field F>
Result<Value> Get(std::span<const Value> args, Cost&) {
  static constexpr const char* kNames[] = {
      "getFullYear",  "getMonth", "getDate",    "getDayOfMonth", "getDayOfWeek",
      "getDayOfYear", "getHours", "getMinutes", "getSeconds",    "getMilliseconds"};
  const char* name = kNames[int(F)];
  if (const Duration* d = args.empty() ? nullptr : args[0].AsDuration(); d && args.size() == 1) {
    switch (F) {
      case Field::kHours:
        return Value(d->seconds / 3600);
      case Field::kMinutes:
        return Value(d->seconds / 60);
      case Field::kSeconds:
        return Value(d->seconds);
      case Field::kMilliseconds:
        return Value(int64_t(d->nanos / 1'000'000));
      default:
        break;
    }
  }
  const Timestamp* t = args.empty() ? nullptr : args[0].AsTimestamp();
  if (!t || args.size() > 2 || (args.size() == 2 && !args[1].AsString()))
    return NoSuchOverload(name, args, true);
  int64_t offset = 0;
  if (args.size() == 2) {
    auto o = ZoneOffset(*args[1].AsString(), *t);
    if (!o) return EvalError("unknown time zone '" + *args[1].AsString() + "'");
    offset = *o;
  }
  const CivilTime c = ToCivil(*t, offset);
  switch (F) {
    case Field::kFullYear:
      return Value(c.year);
    case Field::kMonth:
      return Value(int64_t(c.month - 1));
    case Field::kDate:
      return Value(int64_t(c.day));
    case Field::kDayOfMonth:
      return Value(int64_t(c.day - 1));
    case Field::kDayOfWeek:
      return Value(int64_t(c.day_of_week));
    case Field::kDayOfYear:
      return Value(int64_t(c.day_of_year));
    case Field::kHours:
      return Value(int64_t(c.hour));
    case Field::kMinutes:
      return Value(int64_t(c.minute));
    case Field::kSeconds:
      return Value(int64_t(c.second));
    case Field::kMilliseconds:
      return Value(int64_t(t->nanos / 1'000'000));
  }
  return NoSuchOverload(name, args, true);
}

}  // namespace

void AddTimestampFunctions(FunctionTable& table) {
  table.Add("timestamp", CallStyle::kGlobal, ToTimestamp);
  table.Add("duration", CallStyle::kGlobal, ToDuration);
  table.Add("getFullYear", CallStyle::kMember, Get<Field::kFullYear>);
  table.Add("getMonth", CallStyle::kMember, Get<Field::kMonth>);
  table.Add("getDate", CallStyle::kMember, Get<Field::kDate>);
  table.Add("getDayOfMonth", CallStyle::kMember, Get<Field::kDayOfMonth>);
  table.Add("getDayOfWeek", CallStyle::kMember, Get<Field::kDayOfWeek>);
  table.Add("getDayOfYear", CallStyle::kMember, Get<Field::kDayOfYear>);
  table.Add("getHours", CallStyle::kMember, Get<Field::kHours>);
  table.Add("getMinutes", CallStyle::kMember, Get<Field::kMinutes>);
  table.Add("getSeconds", CallStyle::kMember, Get<Field::kSeconds>);
  table.Add("getMilliseconds", CallStyle::kMember, Get<Field::kMilliseconds>);
}

}  // namespace hf::expr::detail
