// String functions: contains, startsWith, endsWith, matches (RE2), and the strings extension
// (charAt, indexOf, lastIndexOf, lowerAscii, upperAscii, replace, split, substring, trim, join,
// reverse, strings.quote, format).
#include <re2/re2.h>

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "expr/detail/function_table.hpp"
#include "expr/detail/string_format.hpp"
#include "expr/detail/utf8.hpp"

namespace hf::expr::detail {
namespace {

int64_t CostOf(std::string_view s) { return int64_t(s.size()) / 64; }

// Both arguments strings (receiver first); nullptr pair otherwise.
bool Strings(std::span<const Value> args, size_t n) {
  if (args.size() != n) return false;
  for (const Value& a : args) {
    if (!a.AsString()) return false;
  }
  return true;
}

Result<Value> Contains(std::span<const Value> args, Cost& cost) {
  if (!Strings(args, 2)) return NoSuchOverload("contains", args, true);
  HF_CHECK(cost.Charge(CostOf(*args[0].AsString())));
  return Value(args[0].AsString()->find(*args[1].AsString()) != std::string::npos);
}

Result<Value> StartsWith(std::span<const Value> args, Cost&) {
  if (!Strings(args, 2)) return NoSuchOverload("startsWith", args, true);
  return Value(args[0].AsString()->starts_with(*args[1].AsString()));
}

Result<Value> EndsWith(std::span<const Value> args, Cost&) {
  if (!Strings(args, 2)) return NoSuchOverload("endsWith", args, true);
  return Value(args[0].AsString()->ends_with(*args[1].AsString()));
}

// Compiled patterns, shared by every evaluation (RE2 objects are thread-safe).
Result<std::shared_ptr<const re2::RE2>> Pattern(const std::string& pattern) {
  static std::mutex mu;
  static std::unordered_map<std::string, std::shared_ptr<const re2::RE2>> cache;  // guarded by mu
  std::lock_guard lock(mu);
  if (auto it = cache.find(pattern); it != cache.end()) return it->second;
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const re2::RE2>(pattern, options);
  if (!re->ok()) return EvalError("invalid regex '" + pattern + "': " + re->error());
  if (cache.size() > 1000) cache.clear();
  cache.emplace(pattern, re);
  return re;
}

Result<Value> Matches(std::span<const Value> args, Cost& cost) {
  if (!Strings(args, 2)) return NoSuchOverload("matches", args, args.size() == 2);
  HF_CHECK(cost.Charge(CostOf(*args[0].AsString()) + CostOf(*args[1].AsString())));
  const auto re = HF_TRY(Pattern(*args[1].AsString()));
  return Value(re2::RE2::PartialMatch(*args[0].AsString(), *re));
}

Result<Value> CharAt(std::span<const Value> args, Cost&) {
  if (args.size() != 2 || !args[0].AsString() || !args[1].AsInt())
    return NoSuchOverload("charAt", args, true);
  const auto cps = CodePoints(*args[0].AsString());
  const int64_t i = *args[1].AsInt();
  if (i < 0 || uint64_t(i) > cps.size())
    return EvalError("index out of range: " + std::to_string(i));
  std::string out;
  if (uint64_t(i) < cps.size()) AppendUtf8(out, cps[i]);
  return Value(out);
}

// indexOf / lastIndexOf in code points, with an optional start offset.
Result<Value> Find(std::span<const Value> args, Cost& cost, bool last) {
  const char* name = last ? "lastIndexOf" : "indexOf";
  if (args.size() < 2 || args.size() > 3 || !args[0].AsString() || !args[1].AsString() ||
      (args.size() == 3 && !args[2].AsInt()))
    return NoSuchOverload(name, args, true);
  HF_CHECK(cost.Charge(CostOf(*args[0].AsString())));
  const auto text = CodePoints(*args[0].AsString());
  const auto sub = CodePoints(*args[1].AsString());
  const int64_t n = int64_t(text.size()), m = int64_t(sub.size());
  int64_t from = last ? n : 0;
  if (args.size() == 3) {
    from = *args[2].AsInt();
    if (from < 0 || from > n) return EvalError("index out of range: " + std::to_string(from));
  }
  auto match_at = [&](int64_t i) {
    return i + m <= n && std::equal(sub.begin(), sub.end(), text.begin() + i);
  };
  if (last) {
    for (int64_t i = std::min(from, n - m); i >= 0; --i) {
      if (match_at(i)) return Value(i);
    }
  } else {
    for (int64_t i = from; i + m <= n; ++i) {
      if (match_at(i)) return Value(i);
    }
  }
  return Value(int64_t{-1});
}

Result<Value> IndexOf(std::span<const Value> args, Cost& cost) { return Find(args, cost, false); }
Result<Value> LastIndexOf(std::span<const Value> args, Cost& cost) {
  return Find(args, cost, true);
}

Result<Value> CaseAscii(std::span<const Value> args, bool upper) {
  if (args.size() != 1 || !args[0].AsString())
    return NoSuchOverload(upper ? "upperAscii" : "lowerAscii", args, true);
  std::string s = *args[0].AsString();
  for (char& c : s) {
    if (upper && c >= 'a' && c <= 'z') c = char(c - 32);
    if (!upper && c >= 'A' && c <= 'Z') c = char(c + 32);
  }
  return Value(std::move(s));
}
Result<Value> LowerAscii(std::span<const Value> args, Cost&) { return CaseAscii(args, false); }
Result<Value> UpperAscii(std::span<const Value> args, Cost&) { return CaseAscii(args, true); }

Result<Value> Replace(std::span<const Value> args, Cost& cost) {
  if (args.size() < 3 || args.size() > 4 || !args[0].AsString() || !args[1].AsString() ||
      !args[2].AsString() || (args.size() == 4 && !args[3].AsInt()))
    return NoSuchOverload("replace", args, true);
  const std::string& s = *args[0].AsString();
  const std::string& from = *args[1].AsString();
  const std::string& to = *args[2].AsString();
  int64_t limit = args.size() == 4 ? *args[3].AsInt() : -1;
  HF_CHECK(cost.Charge(CostOf(s)));
  std::string out;
  size_t pos = 0;
  while (limit != 0) {
    size_t at;
    if (from.empty()) {
      // An empty pattern matches before every code point and at the end (Go's strings.Replace).
      if (pos > s.size()) break;
      at = pos;
    } else {
      at = s.find(from, pos);
      if (at == std::string::npos) break;
    }
    out.append(s, pos, at - pos);
    out += to;
    if (from.empty()) {
      if (at < s.size()) {
        const size_t n = Utf8Length(s[at]);
        out.append(s, at, n);
        pos = at + n;
      } else {
        pos = s.size() + 1;
      }
    } else {
      pos = at + from.size();
    }
    if (limit > 0) --limit;
    HF_CHECK(cost.Charge(CostOf(out)));
  }
  if (pos <= s.size()) out.append(s, pos);
  return Value(std::move(out));
}

Result<Value> Split(std::span<const Value> args, Cost& cost) {
  if (args.size() < 2 || args.size() > 3 || !args[0].AsString() || !args[1].AsString() ||
      (args.size() == 3 && !args[2].AsInt()))
    return NoSuchOverload("split", args, true);
  const std::string& s = *args[0].AsString();
  const std::string& sep = *args[1].AsString();
  const int64_t limit = args.size() == 3 ? *args[2].AsInt() : -1;
  HF_CHECK(cost.Charge(CostOf(s)));
  List out;
  if (limit == 0) return Value(std::move(out));
  if (sep.empty()) {
    // Split into code points (the last part keeps the rest when limited).
    size_t pos = 0;
    while (pos < s.size()) {
      if (limit > 0 && int64_t(out.size()) == limit - 1) {
        out.push_back(Value(s.substr(pos)));
        return Value(std::move(out));
      }
      const size_t n = Utf8Length(s[pos]);
      out.push_back(Value(s.substr(pos, n)));
      pos += n;
    }
    return Value(std::move(out));
  }
  size_t pos = 0;
  while (true) {
    if (limit > 0 && int64_t(out.size()) == limit - 1) break;
    const size_t at = s.find(sep, pos);
    if (at == std::string::npos) break;
    out.push_back(Value(s.substr(pos, at - pos)));
    pos = at + sep.size();
  }
  out.push_back(Value(s.substr(pos)));
  HF_CHECK(cost.Charge(int64_t(out.size())));
  return Value(std::move(out));
}

Result<Value> Substring(std::span<const Value> args, Cost&) {
  if (args.size() < 2 || args.size() > 3 || !args[0].AsString() || !args[1].AsInt() ||
      (args.size() == 3 && !args[2].AsInt()))
    return NoSuchOverload("substring", args, true);
  const std::string& s = *args[0].AsString();
  const int64_t n = int64_t(CodePointCount(s));
  const int64_t start = *args[1].AsInt();
  const int64_t end = args.size() == 3 ? *args[2].AsInt() : n;
  if (start < 0 || start > n) return EvalError("index out of range: " + std::to_string(start));
  if (end < 0 || end > n) return EvalError("index out of range: " + std::to_string(end));
  if (start > end) {
    return EvalError("invalid substring range: start " + std::to_string(start) + " > end " +
                     std::to_string(end));
  }
  const size_t b = ByteOffset(s, size_t(start)), e = ByteOffset(s, size_t(end));
  return Value(s.substr(b, e - b));
}

bool IsUnicodeSpace(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
         c == 0x3000;
}

Result<Value> Trim(std::span<const Value> args, Cost&) {
  if (args.size() != 1 || !args[0].AsString()) return NoSuchOverload("trim", args, true);
  const auto cps = CodePoints(*args[0].AsString());
  size_t b = 0, e = cps.size();
  while (b < e && IsUnicodeSpace(cps[b])) ++b;
  while (e > b && IsUnicodeSpace(cps[e - 1])) --e;
  std::string out;
  for (size_t i = b; i < e; ++i) AppendUtf8(out, cps[i]);
  return Value(std::move(out));
}

Result<Value> Join(std::span<const Value> args, Cost& cost) {
  const List* list = args.empty() ? nullptr : args[0].AsList();
  if (!list || args.size() > 2 || (args.size() == 2 && !args[1].AsString()))
    return NoSuchOverload("join", args, true);
  const std::string sep = args.size() == 2 ? *args[1].AsString() : "";
  std::string out;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string* s = (*list)[i].AsString();
    if (!s) return EvalError("join: list element " + std::to_string(i) + " is not a string");
    if (i > 0) out += sep;
    out += *s;
  }
  HF_CHECK(cost.Charge(int64_t(list->size()) + CostOf(out)));
  return Value(std::move(out));
}

Result<Value> Reverse(std::span<const Value> args, Cost&) {
  if (args.size() != 1 || !args[0].AsString()) return NoSuchOverload("reverse", args, true);
  auto cps = CodePoints(*args[0].AsString());
  std::reverse(cps.begin(), cps.end());
  std::string out;
  for (uint32_t c : cps) AppendUtf8(out, c);
  return Value(std::move(out));
}

Result<Value> Quote(std::span<const Value> args, Cost&) {
  if (args.size() != 1 || !args[0].AsString()) return NoSuchOverload("strings.quote", args, false);
  return Value(QuoteString(*args[0].AsString()));
}

Result<Value> Format(std::span<const Value> args, Cost& cost) {
  if (args.size() != 2 || !args[0].AsString() || !args[1].AsList())
    return NoSuchOverload("format", args, true);
  HF_CHECK(cost.Charge(CostOf(*args[0].AsString()) + int64_t(args[1].AsList()->size())));
  return FormatString(*args[0].AsString(), *args[1].AsList());
}

}  // namespace

void AddStringFunctions(FunctionTable& table) {
  table.Add("contains", CallStyle::kMember, Contains);
  table.Add("startsWith", CallStyle::kMember, StartsWith);
  table.Add("endsWith", CallStyle::kMember, EndsWith);
  table.Add("matches", CallStyle::kBoth, Matches);
  table.Add("charAt", CallStyle::kMember, CharAt);
  table.Add("indexOf", CallStyle::kMember, IndexOf);
  table.Add("lastIndexOf", CallStyle::kMember, LastIndexOf);
  table.Add("lowerAscii", CallStyle::kMember, LowerAscii);
  table.Add("upperAscii", CallStyle::kMember, UpperAscii);
  table.Add("replace", CallStyle::kMember, Replace);
  table.Add("split", CallStyle::kMember, Split);
  table.Add("substring", CallStyle::kMember, Substring);
  table.Add("trim", CallStyle::kMember, Trim);
  table.Add("join", CallStyle::kMember, Join);
  table.Add("reverse", CallStyle::kMember, Reverse);
  table.Add("strings.quote", CallStyle::kGlobal, Quote);
  table.Add("format", CallStyle::kMember, Format);
}

}  // namespace hf::expr::detail
