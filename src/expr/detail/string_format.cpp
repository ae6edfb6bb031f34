#include "expr/detail/string_format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "expr/detail/function_table.hpp"
#include "expr/detail/number_text.hpp"
#include "expr/detail/time_text.hpp"
#include "expr/detail/utf8.hpp"

namespace hf::expr::detail {
namespace {

// Replaces each run of invalid UTF-8 with one U+FFFD.
std::string ValidUtf8(std::string_view s) {
  std::string out;
  bool in_bad = false;
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8Length(s[i]);
    if (i + n <= s.size() && IsValidUtf8(s.substr(i, n))) {
      out.append(s.substr(i, n));
      i += n;
      in_bad = false;
    } else {
      if (!in_bad) out += "\uFFFD";
      in_bad = true;
      ++i;
    }
  }
  return out;
}

std::string Radix(const Value& v, int base, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  bool negative = false;
  unsigned __int128 n;
  if (const auto* i = v.AsInt()) {
    negative = *i < 0;
    n = negative ? (unsigned __int128)(-(__int128)*i) : (unsigned __int128)*i;
  } else if (const auto* u = v.AsUint()) {
    n = *u;
  } else {
    n = *v.AsBool() ? 1 : 0;
  }
  std::string out;
  do {
    out += digits[int(n % base)];
    n /= base;
  } while (n > 0);
  if (negative) out += '-';
  std::reverse(out.begin(), out.end());
  return out;
}

std::string HexBytes(std::string_view s, bool upper) {
  static constexpr char kLower[] = "0123456789abcdef", kUpper[] = "0123456789ABCDEF";
  const char* d = upper ? kUpper : kLower;
  std::string out;
  for (unsigned char c : s) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

std::optional<double> AsNumber(const Value& v) {
  if (const auto* d = v.AsDouble()) return *d;
  if (const auto* i = v.AsInt()) return double(*i);
  if (const auto* u = v.AsUint()) return double(*u);
  return std::nullopt;
}

std::string Special(double d) {
  if (std::isnan(d)) return "NaN";
  return d > 0 ? "Infinity" : "-Infinity";
}

Result<std::string> AsText(const Value& v);

Result<std::string> AsText(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return std::string("null");
    case Value::Kind::kBool:
      return std::string(*v.AsBool() ? "true" : "false");
    case Value::Kind::kInt:
      return std::to_string(*v.AsInt());
    case Value::Kind::kUint:
      return std::to_string(*v.AsUint());
    case Value::Kind::kDouble: {
      const double d = *v.AsDouble();
      if (!std::isfinite(d)) return Special(d);
      return FormatDouble(d);
    }
    case Value::Kind::kString:
      return *v.AsString();
    case Value::Kind::kBytes:
      return ValidUtf8(v.AsBytes()->data);
    case Value::Kind::kTimestamp:
      return FormatTimestamp(*v.AsTimestamp());
    case Value::Kind::kDuration:
      return FormatDuration(*v.AsDuration());
    case Value::Kind::kType:
      return v.AsType()->name;
    case Value::Kind::kList: {
      std::string out = "[";
      for (size_t i = 0; i < v.AsList()->size(); ++i) {
        if (i > 0) out += ", ";
        out += HF_TRY(AsText((*v.AsList())[i]));
      }
      return out + "]";
    }
    case Value::Kind::kMap: {
      std::vector<std::pair<std::string, std::string>> entries;
      for (const auto& [k, entry] : *v.AsMap())
        entries.emplace_back(HF_TRY(AsText(entry.first)), HF_TRY(AsText(entry.second)));
      std::sort(entries.begin(), entries.end());
      std::string out = "{";
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i > 0) out += ", ";
        out += entries[i].first + ": " + entries[i].second;
      }
      return out + "}";
    }
    case Value::Kind::kOptional:
      break;
  }
  return EvalError("format: no text form for " + TypeName(v));
}

}  // namespace

Result<Value> FormatString(std::string_view format, const List& args) {
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    if (++i >= format.size()) return EvalError("format: unfinished clause at end of format");
    if (format[i] == '%') {
      out += '%';
      continue;
    }
    int precision = -1;
    if (format[i] == '.') {
      precision = 0;
      ++i;
      const size_t start = i;
      while (i < format.size() && format[i] >= '0' && format[i] <= '9' && precision < 1000)
        precision = precision * 10 + (format[i++] - '0');
      if (i == start) return EvalError("format: precision needs digits");
      if (i >= format.size()) return EvalError("format: unfinished clause at end of format");
    }
    const char verb = format[i];
    if (next >= args.size()) {
      return EvalError("format: index " + std::to_string(next) + " out of range (" +
                       std::to_string(args.size()) + " arguments)");
    }
    const Value& arg = args[next++];
    auto bad = [&]() {
      return EvalError(std::string("format: %") + verb + " does not take " + TypeName(arg));
    };
    switch (verb) {
      case 's':
        out += HF_TRY(AsText(arg));
        break;
      case 'd':
        if (arg.AsInt() || arg.AsUint()) {
          out += HF_TRY(AsText(arg));
        } else if (const auto* d = arg.AsDouble(); d && !std::isfinite(*d)) {
          out += Special(*d);
        } else {
          return bad();
        }
        break;
      case 'f':
      case 'e': {
        const auto d = AsNumber(arg);
        if (!d) return bad();
        if (!std::isfinite(*d)) {
          out += Special(*d);
          break;
        }
        char buf[512];
        const std::string spec = "%." + std::to_string(precision < 0 ? 6 : precision) + verb;
        std::snprintf(buf, sizeof buf, spec.c_str(), *d);
        out += buf;
        break;
      }
      case 'x':
      case 'X':
        if (arg.AsInt() || arg.AsUint()) {
          out += Radix(arg, 16, verb == 'X');
        } else if (const auto* s = arg.AsString()) {
          out += HexBytes(*s, verb == 'X');
        } else if (const auto* b = arg.AsBytes()) {
          out += HexBytes(b->data, verb == 'X');
        } else {
          return bad();
        }
        break;
      case 'o':
        if (!arg.AsInt() && !arg.AsUint()) return bad();
        out += Radix(arg, 8, false);
        break;
      case 'b':
        if (!arg.AsInt() && !arg.AsUint() && !arg.AsBool()) return bad();
        out += Radix(arg, 2, false);
        break;
      default:
        return EvalError(std::string("format: unknown clause %") + verb);
    }
  }
  return Value(std::move(out));
}

std::string QuoteString(std::string_view s) {
  std::string out = "\"";
  for (char c : ValidUtf8(s)) {
    switch (c) {
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

}  // namespace hf::expr::detail
