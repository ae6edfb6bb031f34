#include "search/detail/filter_builder.hpp"

#include <array>
#include <charconv>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/text.hpp"
#include "common/time.hpp"
#include "model/condition.hpp"
#include "search/detail/resource_columns.hpp"

namespace hf::search::detail {
namespace {

constexpr std::string_view kLabelsPrefix = "labels.";
constexpr std::string_view kConditionsPrefix = "status.conditions.";
constexpr std::string_view kSpecPrefix = "spec.";
constexpr std::string_view kConditionOperators = "use comparison operators (=, !=, <, <=, >, >=)";

std::unexpected<Error> BadRequest(std::string message) {
  return Fail(ErrorCode::kBadRequest, std::move(message));
}

// [a-z0-9_]+: plain column names and spec path segments.
bool IsPlainName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

// [A-Z][a-zA-Z0-9]*: condition types.
bool IsPascalCase(std::string_view s) {
  if (s.empty() || s[0] < 'A' || s[0] > 'Z') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

// [A-Za-z0-9._/-]+: label keys.
bool IsLabelKey(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '/' || c == '-')) {
      return false;
    }
  }
  return true;
}

// The condition fields a query may compare, with their value types.
struct ConditionField {
  std::string_view name;
  ColumnType type;
};
constexpr std::array<ConditionField, 3> kConditionFields{{
    {"last_updated_time", ColumnType::kTime},
    {"last_transition_time", ColumnType::kTime},
    {"observed_generation", ColumnType::kInteger},
}};

// What a field name refers to.
struct Target {
  enum class Kind { kColumn, kLabel, kSpec, kConditionStatus, kConditionField };
  Kind kind = Kind::kColumn;
  const ResourceColumn* column = nullptr;           // kColumn
  std::string key{};                                // kLabel: label key; kCondition*: type
  std::vector<std::string> path{};                  // kSpec: path segments
  const ConditionField* condition_field = nullptr;  // kConditionField
};

Result<Target> ResolveField(std::string_view field) {
  const std::string name(field);
  if (field.starts_with(kLabelsPrefix)) {
    const std::string_view key = field.substr(kLabelsPrefix.size());
    if (key.empty()) return BadRequest("label key cannot be empty");
    if (!IsLabelKey(key)) return BadRequest(name + " is not a valid field name");
    return Target{.kind = Target::Kind::kLabel, .key = std::string(key)};
  }
  if (field.starts_with(kConditionsPrefix)) {
    const std::string_view rest = field.substr(kConditionsPrefix.size());
    if (rest.empty()) return BadRequest("condition type cannot be empty");
    const auto parts = Split(rest, '.');
    if (parts.size() > 2) {
      return BadRequest(
          "invalid condition format: expected status.conditions.<Type> or "
          "status.conditions.<Type>.<subfield>");
    }
    if (!IsPascalCase(parts[0])) {
      return BadRequest("condition type '" + std::string(parts[0]) +
                        "' is invalid: must be PascalCase (e.g., Reconciled, Available)");
    }
    Target target{.kind = Target::Kind::kConditionStatus, .key = std::string(parts[0])};
    if (parts.size() == 1) return target;
    for (const ConditionField& candidate : kConditionFields) {
      if (candidate.name == parts[1]) target.condition_field = &candidate;
    }
    if (target.condition_field == nullptr) {
      return BadRequest("condition subfield '" + std::string(parts[1]) +
                        "' is not supported; use last_updated_time, last_transition_time, or "
                        "observed_generation");
    }
    target.kind = Target::Kind::kConditionField;
    return target;
  }
  if (field.starts_with(kSpecPrefix)) {
    Target target{.kind = Target::Kind::kSpec};
    for (std::string_view segment : Split(field.substr(kSpecPrefix.size()), '.')) {
      if (segment.empty()) return BadRequest("spec field segment cannot be empty");
      if (!IsPlainName(segment)) {
        return BadRequest("spec field segment '" + std::string(segment) +
                          "' is invalid: must contain only lowercase letters, digits, and "
                          "underscores");
      }
      target.path.emplace_back(segment);
    }
    return target;
  }
  const auto parts = Split(field, '.');
  for (std::string_view part : parts) {
    if (!IsPlainName(part)) return BadRequest(name + " is not a valid field name");
  }
  if (parts.size() > 1) {
    return BadRequest(std::string(parts[0]) + " is not a related resource of Resource");
  }
  const ResourceColumn* column = FindResourceColumn(field);
  if (column == nullptr) return BadRequest("invalid field in search or order query");
  return Target{.kind = Target::Kind::kColumn, .column = column};
}

std::optional<int64_t> ToInt64(const Literal& literal) {
  if (!literal.IsInteger()) return std::nullopt;
  int64_t value = 0;
  const char* end = literal.text.data() + literal.text.size();
  const auto [ptr, ec] = std::from_chars(literal.text.data(), end, value);
  if (ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

// A number literal as int64 when it is an integer that fits, as double otherwise.
Value NumberValue(const Literal& literal) {
  if (auto value = ToInt64(literal)) return *value;
  double value = 0;
  std::from_chars(literal.text.data(), literal.text.data() + literal.text.size(), value);
  return value;
}

// RFC 3339 via hf::ParseTime; like the reference, a bare date means midnight UTC.
Result<Time> ParseTimeOrDate(std::string_view text) {
  if (text.size() == 10) return ParseTime(std::string(text) + "T00:00:00Z");
  return ParseTime(text);
}

// Turns one literal into the value compared with, or explains why it does not fit the field.
using Typer = std::function<Result<Value>(const Literal&)>;

Value AsText(const Literal& literal) { return literal.text; }

// The comparison with each value typed by `type_value`; a like/ilike pattern is always text.
Result<Comparison> TypeComparison(const ComparisonExpr& cmp, const Typer& type_value) {
  Comparison out{.op = cmp.op, .values = {}};
  if (cmp.op == CompareOp::kLike || cmp.op == CompareOp::kILike) {
    const std::string& pattern = cmp.values.front().text;
    for (size_t i = 0; i < pattern.size(); ++i) {
      if (pattern[i] != '\\') continue;
      if (i + 1 == pattern.size()) {
        return BadRequest("like pattern must not end with the escape character '\\'");
      }
      ++i;
    }
    out.values.emplace_back(pattern);
    return out;
  }
  for (const Literal& literal : cmp.values) out.values.push_back(HF_TRY(type_value(literal)));
  return out;
}

Result<Term> ColumnTermOf(const ComparisonExpr& cmp, const ResourceColumn& column) {
  const std::string field(column.name);
  Typer type_value = AsText;
  switch (column.type) {
    case ColumnType::kText:
      break;
    case ColumnType::kInteger:
      type_value = [&](const Literal& literal) -> Result<Value> {
        if (auto value = ToInt64(literal)) return *value;
        return BadRequest("field '" + field + "' expects an integer");
      };
      break;
    case ColumnType::kTime:
      type_value = [&](const Literal& literal) -> Result<Value> {
        if (!literal.IsNumber()) {
          if (auto time = ParseTimeOrDate(literal.text)) return *time;
        }
        return BadRequest("field '" + field +
                          "' expects an RFC3339 timestamp (e.g. 2026-01-01T00:00:00Z)");
      };
      break;
  }
  if ((cmp.op == CompareOp::kLike || cmp.op == CompareOp::kILike) &&
      column.type != ColumnType::kText) {
    return BadRequest("operator '" + std::string(ToString(cmp.op)) +
                      "' is not supported for field '" + field + "'");
  }
  return ColumnTerm{.column = field, .comparison = HF_TRY(TypeComparison(cmp, type_value))};
}

// Spec values are numbers when every value is an unquoted number and the operator orders.
Result<Term> SpecTermOf(const ComparisonExpr& cmp, std::vector<std::string> path) {
  bool numeric = false;
  if (IsOrdering(cmp.op) || cmp.op == CompareOp::kIn || cmp.op == CompareOp::kBetween) {
    numeric = true;
    for (const Literal& value : cmp.values) numeric = numeric && value.IsNumber();
  }
  const Typer type_value = numeric ? Typer(NumberValue) : Typer(AsText);
  return SpecTerm{.path = std::move(path), .comparison = HF_TRY(TypeComparison(cmp, type_value))};
}

// Rejects the operators no condition query takes, with the reference's messages.
Result<void> CheckConditionOperator(CompareOp op) {
  switch (op) {
    case CompareOp::kIn:
      return BadRequest("IN is not supported for condition queries; " +
                        std::string(kConditionOperators));
    case CompareOp::kBetween:
      return BadRequest("BETWEEN is not supported for condition queries; " +
                        std::string(kConditionOperators));
    case CompareOp::kLike:
    case CompareOp::kILike:
      return BadRequest("LIKE/ILIKE is not supported for condition queries; " +
                        std::string(kConditionOperators));
    default:
      return Ok();
  }
}

// status.conditions.<Type> = 'True'|'False'|'Unknown'.
Result<Term> ConditionStatusTermOf(const ComparisonExpr& cmp, std::string type) {
  HF_CHECK(CheckConditionOperator(cmp.op));
  if (cmp.op != CompareOp::kEq) {
    return BadRequest("only equality operator (=) is supported for condition status queries");
  }
  const Literal& value = cmp.values.front();
  if (value.IsNumber() || !model::condition_status::Valid(value.text)) {
    return BadRequest("condition status '" + value.text +
                      "' is invalid: must be True, False, or Unknown");
  }
  return ConditionStatusTerm{.type = std::move(type), .status = value.text};
}

// status.conditions.<Type>.<field> <op> value.
Result<Term> ConditionFieldTermOf(const ComparisonExpr& cmp, std::string type,
                                  const ConditionField& field) {
  HF_CHECK(CheckConditionOperator(cmp.op));
  if (!IsOrdering(cmp.op)) {
    return BadRequest("operator '" + std::string(ToString(cmp.op)) +
                      "' is not supported for condition subfield queries; use =, !=, <, <=, "
                      ">, or >=");
  }
  const std::string name(field.name);
  Typer type_value;
  if (field.type == ColumnType::kTime) {
    type_value = [](const Literal& literal) -> Result<Value> {
      if (!literal.IsNumber()) {
        if (auto time = ParseTime(literal.text)) return *time;
      }
      return BadRequest(
          "invalid timestamp for condition subfield: expected RFC3339 format (e.g., "
          "2026-01-01T00:00:00Z)");
    };
  } else {
    type_value = [&](const Literal& literal) -> Result<Value> {
      if (!literal.IsInteger()) {
        const std::string shown = literal.IsNumber() ? literal.text : "'" + literal.text + "'";
        return BadRequest("expected integer value for condition subfield '" + name + "', got " +
                          shown);
      }
      const auto value = ToInt64(literal);
      if (!value || *value < std::numeric_limits<int32_t>::min() ||
          *value > std::numeric_limits<int32_t>::max()) {
        return BadRequest("value " + literal.text +
                          " is out of 32-bit integer range for condition subfield '" + name + "'");
      }
      return *value;
    };
  }
  return ConditionFieldTerm{.type = std::move(type),
                            .field = name,
                            .comparison = HF_TRY(TypeComparison(cmp, type_value))};
}

Result<Term> TermOf(const ComparisonExpr& cmp, bool under_not) {
  // Checked before the field itself, as the reference does.
  if (under_not && cmp.field.starts_with(kLabelsPrefix)) {
    return BadRequest("NOT operator is not supported with label queries");
  }
  if (under_not && cmp.field.starts_with(kConditionsPrefix)) {
    return BadRequest("NOT operator is not supported with condition queries");
  }
  Target target = HF_TRY(ResolveField(cmp.field));
  switch (target.kind) {
    case Target::Kind::kColumn:
      return ColumnTermOf(cmp, *target.column);
    case Target::Kind::kLabel:
      return LabelTerm{.key = std::move(target.key),
                       .comparison = HF_TRY(TypeComparison(cmp, AsText))};
    case Target::Kind::kSpec:
      return SpecTermOf(cmp, std::move(target.path));
    case Target::Kind::kConditionStatus:
      return ConditionStatusTermOf(cmp, std::move(target.key));
    case Target::Kind::kConditionField:
      return ConditionFieldTermOf(cmp, std::move(target.key), *target.condition_field);
  }
  return BadRequest("invalid field in search or order query");
}

Result<Filter> Build(const Expr& expr, bool under_not) {
  Filter filter;
  switch (expr.kind) {
    case Expr::Kind::kComparison:
      filter.term = HF_TRY(TermOf(expr.comparison, under_not));
      return filter;
    case Expr::Kind::kNot:
      filter.kind = Filter::Kind::kNot;
      under_not = true;
      break;
    case Expr::Kind::kAnd:
      filter.kind = Filter::Kind::kAnd;
      break;
    case Expr::Kind::kOr:
      filter.kind = Filter::Kind::kOr;
      break;
  }
  for (const Expr& operand : expr.operands) {
    filter.operands.push_back(HF_TRY(Build(operand, under_not)));
  }
  return filter;
}

}  // namespace

Result<Filter> BuildFilter(const Expr& expr) { return Build(expr, false); }

}  // namespace hf::search::detail
