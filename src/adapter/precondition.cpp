#include "adapter/precondition.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <utility>

namespace hf::adapter {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<std::string_view, Operator>, 9> kOperators = {{
    {"equals", Operator::kEquals},
    {"notEquals", Operator::kNotEquals},
    {"in", Operator::kIn},
    {"notIn", Operator::kNotIn},
    {"exists", Operator::kExists},
    {"notExists", Operator::kNotExists},
    {"contains", Operator::kContains},
    {"greaterThan", Operator::kGreaterThan},
    {"lessThan", Operator::kLessThan},
}};

std::string_view Name(Operator op) {
  for (const auto& [name, o] : kOperators) {
    if (o == op) return name;
  }
  return "?";
}

std::optional<double> Number(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (!v.is_string()) return std::nullopt;
  const std::string s = v.get<std::string>();
  double d = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return d;
}

bool Equal(const json& actual, const json& expected) {
  if (actual.is_number()) {
    auto a = Number(actual), e = Number(expected);
    if (a && e) return *a == *e;
  }
  return !actual.is_structured() && ScalarText(actual) == ScalarText(expected);
}

bool InList(const json& actual, const json& list) {
  for (const auto& v : list) {
    if (Equal(actual, v)) return true;
  }
  return false;
}

bool Check(const Precondition& p, const json* actual) {
  switch (p.op) {
    case Operator::kExists:
      return actual != nullptr;
    case Operator::kNotExists:
      return actual == nullptr;
    case Operator::kEquals:
      return actual && Equal(*actual, p.value);
    case Operator::kNotEquals:
      return !actual || !Equal(*actual, p.value);
    case Operator::kIn:
      return actual && InList(*actual, p.value);
    case Operator::kNotIn:
      return !actual || !InList(*actual, p.value);
    case Operator::kContains:
      if (!actual) return false;
      if (actual->is_string()) {
        return actual->get<std::string>().find(ScalarText(p.value)) != std::string::npos;
      }
      if (actual->is_array()) {
        return std::any_of(actual->begin(), actual->end(),
                           [&](const json& e) { return Equal(e, p.value); });
      }
      if (actual->is_object()) return actual->contains(ScalarText(p.value));
      return false;
    case Operator::kGreaterThan:
    case Operator::kLessThan: {
      if (!actual) return false;
      const double a = Number(*actual).value_or(std::nan(""));
      const double e = Number(p.value).value_or(std::nan(""));
      return p.op == Operator::kGreaterThan ? a > e : a < e;  // false when either is NaN
    }
  }
  return false;
}

}  // namespace

Result<Precondition> MakePrecondition(std::string_view field, std::string_view op,
                                      nlohmann::json value, std::string_view value_from) {
  Precondition p;
  p.field = HF_TRY(FieldPath::Parse(field));
  if (!value_from.empty()) {
    if (!value.is_null()) {
      return Fail(ErrorCode::kInvalidArgument, "value and value_from exclude each other");
    }
    p.value_from = HF_TRY(FieldPath::Parse(value_from));
    value = "";  // stands in for the single value read at evaluation time
  }
  bool known = false;
  for (const auto& [name, o] : kOperators) {
    if (name == op) {
      p.op = o;
      known = true;
    }
  }
  if (!known) {
    std::string list;
    for (const auto& [name, o] : kOperators) list += (list.empty() ? "" : ", ") + std::string(name);
    return Fail(ErrorCode::kInvalidArgument,
                "unknown operator '" + std::string(op) + "' (use one of " + list + ")");
  }
  const std::string opname(op);
  switch (p.op) {
    case Operator::kExists:
    case Operator::kNotExists:
      if (!value.is_null()) {
        return Fail(ErrorCode::kInvalidArgument, "operator " + opname + " takes no value");
      }
      break;
    case Operator::kIn:
    case Operator::kNotIn:
      if (!value.is_array() || value.empty()) {
        return Fail(ErrorCode::kInvalidArgument,
                    "operator " + opname + " needs a non-empty list value");
      }
      break;
    case Operator::kGreaterThan:
    case Operator::kLessThan:
      if (!Number(value)) {
        return Fail(ErrorCode::kInvalidArgument, "operator " + opname + " needs a number value");
      }
      break;
    default:
      if (p.value_from && p.op != Operator::kEquals && p.op != Operator::kNotEquals) {
        return Fail(ErrorCode::kInvalidArgument, "value_from works with equals and notEquals");
      }
      if (value.is_null() || value.is_structured()) {
        return Fail(ErrorCode::kInvalidArgument, "operator " + opname + " needs a single value");
      }
  }
  p.value = std::move(value);
  return p;
}

Result<PreconditionOutcome> Evaluate(const std::vector<Precondition>& checks,
                                     const nlohmann::json& doc, const expr::Activation& vars) {
  PreconditionOutcome out;
  for (const auto& check : checks) {
    CheckResult result;
    if (check.expression) {
      result.name = check.name;
      auto bad = [&](const std::string& why) {
        return Fail(ErrorCode::kInvalidArgument, "precondition '" + check.name + "': " + why);
      };
      auto value = check.expression->Evaluate(vars);
      if (!value) return bad(value.error().message);
      const auto met = value->AsBool();
      if (!met) return bad("gives a " + expr::TypeName(*value) + ", not a bool");
      result.met = *met;
      result.value = *met;
      if (!result.met) result.message = check.name + " is false";
    } else {
      Precondition p = check;
      const json* other = p.value_from ? p.value_from->Find(doc) : nullptr;
      if (p.value_from) p.value = other && !other->is_structured() ? *other : json();
      const json* actual = p.field.Find(doc);
      result.name = check.name.empty() ? p.field.text() : check.name;
      result.value = actual ? *actual : json();
      // A missing or structured value_from field satisfies nothing.
      result.met = (!p.value_from || !p.value.is_null()) && Check(p, actual);
      if (!result.met) {
        std::string line = p.field.text() + " is " + (actual ? actual->dump() : "missing") +
                           " (want " + std::string(Name(p.op));
        if (p.value_from) line += " " + p.value_from->text() + " =";
        if (!p.value.is_null() || p.value_from) line += " " + p.value.dump();
        result.message = line + ")";
      }
    }
    if (!result.met) {
      out.met = false;
      out.message += (out.message.empty() ? "" : "; ") + result.message;
    }
    out.checks.push_back(std::move(result));
  }
  return out;
}

bool ReadsStatus(const std::vector<Precondition>& checks) {
  const auto under_status = [](const FieldPath& path) {
    const std::string& t = path.text();
    return t == "status" || t.starts_with("status.") || t.starts_with("status[");
  };
  return std::ranges::any_of(checks, [&](const Precondition& c) {
    if (c.expression) return c.expression->source().find("status") != std::string::npos;
    return under_status(c.field) || (c.value_from && under_status(*c.value_from));
  });
}

}  // namespace hf::adapter
