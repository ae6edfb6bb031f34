// The type conversions: int, uint, double, string, bytes, bool.
#include <charconv>
#include <cmath>

#include "expr/detail/function_table.hpp"
#include "expr/detail/number_text.hpp"
#include "expr/detail/time_text.hpp"
#include "expr/detail/utf8.hpp"

namespace hf::expr::detail {
namespace {

template <typename T>
std::optional<T> ParseInteger(const std::string& s) {
  T v{};
  const char* begin = s.data();
  const char* end = s.data() + s.size();
  if (begin != end && *begin == '+') ++begin;
  if (begin == end) return std::nullopt;
  const auto [ptr, ec] = std::from_chars(begin, end, v);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return v;
}

Result<Value> ToInt(std::span<const Value> args, Cost&) {
  if (args.size() == 1) {
    const Value& v = args[0];
    if (v.AsInt()) return v;
    if (const auto* u = v.AsUint()) {
      if (*u > uint64_t(INT64_MAX)) return EvalError("int range error: " + std::to_string(*u));
      return Value(int64_t(*u));
    }
    if (const auto* d = v.AsDouble()) {
      if (!(*d > -0x1p63 && *d < 0x1p63)) return EvalError("int range error: double out of range");
      return Value(int64_t(*d));
    }
    if (const auto* s = v.AsString()) {
      if (auto i = ParseInteger<int64_t>(*s)) return Value(*i);
      return EvalError("cannot convert '" + *s + "' to int");
    }
    if (const auto* t = v.AsTimestamp()) return Value(t->seconds);
  }
  return NoSuchOverload("int", args, false);
}

Result<Value> ToUint(std::span<const Value> args, Cost&) {
  if (args.size() == 1) {
    const Value& v = args[0];
    if (v.AsUint()) return v;
    if (const auto* i = v.AsInt()) {
      if (*i < 0) return EvalError("uint range error: " + std::to_string(*i));
      return Value(uint64_t(*i));
    }
    if (const auto* d = v.AsDouble()) {
      if (!(*d > -1.0 && *d < 0x1p64)) return EvalError("uint range error: double out of range");
      return Value(uint64_t(*d));
    }
    if (const auto* s = v.AsString()) {
      if (!s->starts_with('-')) {
        if (auto u = ParseInteger<uint64_t>(*s)) return Value(*u);
      }
      return EvalError("cannot convert '" + *s + "' to uint");
    }
  }
  return NoSuchOverload("uint", args, false);
}

Result<Value> ToDouble(std::span<const Value> args, Cost&) {
  if (args.size() == 1) {
    const Value& v = args[0];
    if (v.AsDouble()) return v;
    if (const auto* i = v.AsInt()) return Value(double(*i));
    if (const auto* u = v.AsUint()) return Value(double(*u));
    if (const auto* s = v.AsString()) {
      if (auto d = ParseDouble(*s)) return Value(*d);
      return EvalError("cannot convert '" + *s + "' to double");
    }
  }
  return NoSuchOverload("double", args, false);
}

Result<Value> ToString(std::span<const Value> args, Cost&) {
  if (args.size() == 1) {
    const Value& v = args[0];
    switch (v.kind()) {
      case Value::Kind::kString:
        return v;
      case Value::Kind::kInt:
        return Value(std::to_string(*v.AsInt()));
      case Value::Kind::kUint:
        return Value(std::to_string(*v.AsUint()));
      case Value::Kind::kDouble:
        return Value(FormatDouble(*v.AsDouble()));
      case Value::Kind::kBool:
        return Value(std::string(*v.AsBool() ? "true" : "false"));
      case Value::Kind::kBytes:
        if (!IsValidUtf8(v.AsBytes()->data)) return EvalError("invalid UTF-8 in bytes");
        return Value(v.AsBytes()->data);
      case Value::Kind::kTimestamp:
        return Value(FormatTimestamp(*v.AsTimestamp()));
      case Value::Kind::kDuration:
        return Value(FormatDuration(*v.AsDuration()));
      default:
        break;
    }
  }
  return NoSuchOverload("string", args, false);
}

Result<Value> ToBytes(std::span<const Value> args, Cost&) {
  if (args.size() == 1) {
    if (args[0].AsBytes()) return args[0];
    if (const auto* s = args[0].AsString()) return Value(Bytes{*s});
  }
  return NoSuchOverload("bytes", args, false);
}

Result<Value> ToBool(std::span<const Value> args, Cost&) {
  if (args.size() == 1) {
    if (args[0].AsBool()) return args[0];
    if (const auto* s = args[0].AsString()) {
      for (const char* t : {"1", "t", "true", "TRUE", "True"}) {
        if (*s == t) return Value(true);
      }
      for (const char* f : {"0", "f", "false", "FALSE", "False"}) {
        if (*s == f) return Value(false);
      }
      return EvalError("type conversion error: cannot convert '" + *s + "' to bool");
    }
  }
  return NoSuchOverload("bool", args, false);
}

}  // namespace

void AddConversionFunctions(FunctionTable& table) {
  table.Add("int", CallStyle::kGlobal, ToInt);
  table.Add("uint", CallStyle::kGlobal, ToUint);
  table.Add("double", CallStyle::kGlobal, ToDouble);
  table.Add("string", CallStyle::kGlobal, ToString);
  table.Add("bytes", CallStyle::kGlobal, ToBytes);
  table.Add("bool", CallStyle::kGlobal, ToBool);
}

}  // namespace hf::expr::detail
