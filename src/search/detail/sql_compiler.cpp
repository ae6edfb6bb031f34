#include "search/detail/sql_compiler.hpp"

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

// The resource_conditions columns a query may compare, with their value types.
struct ConditionField {
  std::string_view column;
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
  std::vector<std::string_view> path{};             // kSpec: path segments
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
      if (candidate.column == parts[1]) target.condition_field = &candidate;
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
    target.path = Split(field.substr(kSpecPrefix.size()), '.');
    for (std::string_view segment : target.path) {
      if (segment.empty()) return BadRequest("spec field segment cannot be empty");
      if (!IsPlainName(segment)) {
        return BadRequest("spec field segment '" + std::string(segment) +
                          "' is invalid: must contain only lowercase letters, digits, and "
                          "underscores");
      }
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

std::string_view SqlOperator(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "=";
    case CompareOp::kNe:
      return "<>";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
    default:
      return "";  // not an ordering operator
  }
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
SqlParam NumberParam(const Literal& literal) {
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

// Rewrites a LIKE pattern (with PostgreSQL's default escape '\') as an SQLite GLOB pattern,
// which matches the same strings and is case-sensitive like PostgreSQL's LIKE.
std::string LikeToGlob(std::string_view pattern) {
  std::string glob;
  const auto literal = [&](char c) {
    if (c == '*') {
      glob += "[*]";
    } else if (c == '?') {
      glob += "[?]";
    } else if (c == '[') {
      glob += "[[]";
    } else {
      glob += c;
    }
  };
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      literal(pattern[++i]);
    } else if (c == '%') {
      glob += '*';
    } else if (c == '_') {
      glob += '?';
    } else {
      literal(c);
    }
  }
  return glob;
}

// Turns one literal into the parameter bound for it, or explains why it does not fit.
using Binder = std::function<Result<SqlParam>(const Literal&)>;

SqlParam BindText(const Literal& literal) { return literal.text; }

class Compiler {
 public:
  explicit Compiler(Dialect dialect) : dialect_(dialect) {}

  Result<void> Emit(const Expr& expr, bool under_not) {
    switch (expr.kind) {
      case Expr::Kind::kComparison:
        return EmitComparison(expr.comparison, under_not);
      case Expr::Kind::kNot: {
        // and/or groups bring their own parentheses.
        const bool bare = expr.operands.front().kind == Expr::Kind::kComparison ||
                          expr.operands.front().kind == Expr::Kind::kNot;
        Append(bare ? "NOT (" : "NOT ");
        HF_CHECK(Emit(expr.operands.front(), true));
        if (bare) Append(")");
        return Ok();
      }
      case Expr::Kind::kAnd:
      case Expr::Kind::kOr: {
        const std::string_view glue = expr.kind == Expr::Kind::kAnd ? " AND " : " OR ";
        Append("(");
        for (size_t i = 0; i < expr.operands.size(); ++i) {
          if (i > 0) Append(glue);
          HF_CHECK(Emit(expr.operands[i], under_not));
        }
        Append(")");
        return Ok();
      }
    }
    return Ok();
  }

  SqlFragment Take() && { return std::move(out_); }

 private:
  bool Postgres() const { return dialect_ == Dialect::kPostgres; }
  void Append(std::string_view sql) { out_.sql += sql; }
  void Bind(SqlParam param) { out_.params.push_back(std::move(param)); }
  // Placeholder for a value of `type`: PostgreSQL compares times as timestamptz.
  std::string_view Placeholder(ColumnType type) const {
    return type == ColumnType::kTime && Postgres() ? "?::timestamptz" : "?";
  }

  Result<void> EmitComparison(const Comparison& cmp, bool under_not) {
    // Checked before the field itself, as the reference does.
    if (under_not && cmp.field.starts_with(kLabelsPrefix)) {
      return BadRequest("NOT operator is not supported with label queries");
    }
    if (under_not && cmp.field.starts_with(kConditionsPrefix)) {
      return BadRequest("NOT operator is not supported with condition queries");
    }
    const Target target = HF_TRY(ResolveField(cmp.field));
    switch (target.kind) {
      case Target::Kind::kColumn:
        return EmitColumn(cmp, *target.column);
      case Target::Kind::kLabel:
        return EmitLabel(cmp, target.key);
      case Target::Kind::kSpec:
        return EmitSpec(cmp, target.path);
      case Target::Kind::kConditionStatus:
        return EmitConditionStatus(cmp, target.key);
      case Target::Kind::kConditionField:
        return EmitConditionField(cmp, target.key, *target.condition_field);
    }
    return Ok();
  }

  // Appends `<lhs> <op> <values>`, binding each value with `bind`. Like patterns are text.
  Result<void> EmitPredicate(std::string_view lhs, const Comparison& cmp, const Binder& bind,
                             std::string_view placeholder) {
    Append(lhs);
    switch (cmp.op) {
      case CompareOp::kIsNull:
        Append(" IS NULL");
        return Ok();
      case CompareOp::kIsNotNull:
        Append(" IS NOT NULL");
        return Ok();
      case CompareOp::kLike:
      case CompareOp::kILike:
        return EmitLike(cmp.op, cmp.values.front().text);
      case CompareOp::kIn:
        Append(" IN (");
        for (size_t i = 0; i < cmp.values.size(); ++i) {
          if (i > 0) Append(", ");
          Append(placeholder);
          Bind(HF_TRY(bind(cmp.values[i])));
        }
        Append(")");
        return Ok();
      case CompareOp::kBetween:
        Append(" BETWEEN ");
        Append(placeholder);
        Bind(HF_TRY(bind(cmp.values[0])));
        Append(" AND ");
        Append(placeholder);
        Bind(HF_TRY(bind(cmp.values[1])));
        return Ok();
      default:
        Append(" ");
        Append(SqlOperator(cmp.op));
        Append(" ");
        Append(placeholder);
        Bind(HF_TRY(bind(cmp.values.front())));
        return Ok();
    }
  }

  // PostgreSQL: LIKE / ILIKE with the default escape '\'. SQLite: like becomes GLOB (SQLite's
  // LIKE ignores ASCII case, GLOB does not) and ilike becomes LIKE with an explicit '\' escape;
  // SQLite folds only ASCII letters where PostgreSQL's ILIKE folds all of Unicode.
  Result<void> EmitLike(CompareOp op, const std::string& pattern) {
    for (size_t i = 0; i < pattern.size(); ++i) {
      if (pattern[i] != '\\') continue;
      if (i + 1 == pattern.size()) {
        return BadRequest("like pattern must not end with the escape character '\\'");
      }
      ++i;
    }
    if (Postgres()) {
      Append(op == CompareOp::kLike ? " LIKE ?" : " ILIKE ?");
      Bind(pattern);
    } else if (op == CompareOp::kLike) {
      Append(" GLOB ?");
      Bind(LikeToGlob(pattern));
    } else {
      Append(" LIKE ? ESCAPE '\\'");
      Bind(pattern);
    }
    return Ok();
  }

  Result<void> EmitColumn(const Comparison& cmp, const ResourceColumn& column) {
    const std::string field(column.name);
    Binder bind = BindText;
    switch (column.type) {
      case ColumnType::kText:
        break;
      case ColumnType::kInteger:
        bind = [&](const Literal& literal) -> Result<SqlParam> {
          if (auto value = ToInt64(literal)) return *value;
          return BadRequest("field '" + field + "' expects an integer");
        };
        break;
      case ColumnType::kTime:
        bind = [&](const Literal& literal) -> Result<SqlParam> {
          if (!literal.IsNumber()) {
            if (auto time = ParseTimeOrDate(literal.text)) return FormatTime(*time);
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
    return EmitPredicate("r." + field, cmp, bind, Placeholder(column.type));
  }

  // A semi-join on resource_labels; `is null` means the resource has no such label.
  Result<void> EmitLabel(const Comparison& cmp, const std::string& key) {
    constexpr std::string_view kSubquery = "(SELECT resource_id FROM resource_labels WHERE key = ?";
    if (cmp.op == CompareOp::kIsNull || cmp.op == CompareOp::kIsNotNull) {
      Append(cmp.op == CompareOp::kIsNull ? "r.id NOT IN " : "r.id IN ");
      Append(kSubquery);
      Append(")");
      Bind(key);
      return Ok();
    }
    Append("r.id IN ");
    Append(kSubquery);
    Append(" AND ");
    Bind(key);
    HF_CHECK(EmitPredicate("value", cmp, BindText, "?"));
    Append(")");
    return Ok();
  }

  // A JSON path into r.spec, read as text, or as a number when every value is an unquoted number.
  Result<void> EmitSpec(const Comparison& cmp, const std::vector<std::string_view>& path) {
    bool numeric = false;
    if (IsOrdering(cmp.op) || cmp.op == CompareOp::kIn || cmp.op == CompareOp::kBetween) {
      numeric = true;
      for (const Literal& value : cmp.values) numeric = numeric && value.IsNumber();
    }
    std::string lhs;
    std::string path_param;
    if (Postgres()) {
      lhs = "r.spec #>> ?::text[]";
      path_param = "{";
      for (size_t i = 0; i < path.size(); ++i) {
        if (i > 0) path_param += ',';
        path_param += path[i];
      }
      path_param += "}";
    } else {
      lhs = "json_extract(r.spec, ?)";
      path_param = "$";
      for (std::string_view segment : path) {
        path_param += ".\"";
        path_param += segment;
        path_param += "\"";
      }
    }
    if (numeric) lhs = "CAST(" + lhs + (Postgres() ? " AS numeric)" : " AS REAL)");
    Bind(std::move(path_param));
    const Binder bind_number = [](const Literal& literal) -> Result<SqlParam> {
      return NumberParam(literal);
    };
    return EmitPredicate(lhs, cmp, numeric ? bind_number : Binder(BindText), "?");
  }

  // Rejects the operators no condition query takes, with the reference's messages.
  static Result<void> CheckConditionOperator(CompareOp op) {
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

  // status.conditions.<Type> = 'True'|'False'|'Unknown' as a semi-join on resource_conditions.
  Result<void> EmitConditionStatus(const Comparison& cmp, const std::string& type) {
    HF_CHECK(CheckConditionOperator(cmp.op));
    if (cmp.op != CompareOp::kEq) {
      return BadRequest("only equality operator (=) is supported for condition status queries");
    }
    const Literal& value = cmp.values.front();
    if (value.IsNumber() ||
        (value.text != "True" && value.text != "False" && value.text != "Unknown")) {
      return BadRequest("condition status '" + value.text +
                        "' is invalid: must be True, False, or Unknown");
    }
    Append("r.id IN (SELECT resource_id FROM resource_conditions WHERE type = ? AND status = ?)");
    Bind(type);
    Bind(value.text);
    return Ok();
  }

  // status.conditions.<Type>.<field> <op> value as a semi-join on resource_conditions.
  Result<void> EmitConditionField(const Comparison& cmp, const std::string& type,
                                  const ConditionField& field) {
    HF_CHECK(CheckConditionOperator(cmp.op));
    if (!IsOrdering(cmp.op)) {
      return BadRequest("operator '" + std::string(ToString(cmp.op)) +
                        "' is not supported for condition subfield queries; use =, !=, <, <=, "
                        ">, or >=");
    }
    const std::string name(field.column);
    Binder bind;
    if (field.type == ColumnType::kTime) {
      bind = [](const Literal& literal) -> Result<SqlParam> {
        if (!literal.IsNumber()) {
          if (auto time = ParseTime(literal.text)) return FormatTime(*time);
        }
        return BadRequest(
            "invalid timestamp for condition subfield: expected RFC3339 format (e.g., "
            "2026-01-01T00:00:00Z)");
      };
    } else {
      bind = [&](const Literal& literal) -> Result<SqlParam> {
        if (!literal.IsInteger()) {
          const std::string shown = literal.IsNumber() ? literal.text : "'" + literal.text + "'";
          return BadRequest("expected integer value for condition subfield '" + name + "', got " +
                            shown);
        }
        const auto value = ToInt64(literal);
        if (!value || *value < std::numeric_limits<int32_t>::min() ||
            *value > std::numeric_limits<int32_t>::max()) {
          return BadRequest("value " + literal.text +
                            " is out of 32-bit integer range for condition subfield '" + name +
                            "'");
        }
        return *value;
      };
    }
    Append("r.id IN (SELECT resource_id FROM resource_conditions WHERE type = ? AND ");
    Bind(type);
    HF_CHECK(EmitPredicate(field.column, cmp, bind, Placeholder(field.type)));
    Append(")");
    return Ok();
  }

  Dialect dialect_;
  SqlFragment out_;
};

}  // namespace

Result<SqlFragment> CompileExpr(const Expr& expr, Dialect dialect) {
  Compiler compiler(dialect);
  HF_CHECK(compiler.Emit(expr, false));
  return std::move(compiler).Take();
}

}  // namespace hf::search::detail
