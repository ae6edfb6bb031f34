#include "store/detail/search_sql.hpp"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>
#include <variant>

#include "common/time.hpp"
#include "model/condition.hpp"

namespace hf::store::detail {
namespace {

using model::condition_type::kReconciled;
using search::CompareOp;

// The resources columns a filter may compare and an order term may name.
struct ResourceColumn {
  std::string_view name;
  bool sortable;
};
constexpr std::array<ResourceColumn, 14> kResourceColumnNames{{
    {"id", true},
    {"kind", true},
    {"name", true},
    {"href", true},
    {"generation", true},
    {"owner_id", true},
    {"owner_kind", false},
    {"owner_href", false},
    {"created_time", true},
    {"updated_time", true},
    {"deleted_time", true},
    {"created_by", true},
    {"updated_by", true},
    {"deleted_by", true},
}};

const ResourceColumn* FindColumn(std::string_view name) {
  const auto* it = std::ranges::find(kResourceColumnNames, name, &ResourceColumn::name);
  return it == kResourceColumnNames.end() ? nullptr : it;
}

// The resource_conditions columns a filter may compare.
constexpr std::array<std::string_view, 3> kConditionColumns = {
    "last_updated_time", "last_transition_time", "observed_generation"};

std::unexpected<Error> InvalidFilter(std::string detail) {
  return Fail(ErrorCode::kInvalidArgument, "invalid search filter", std::move(detail));
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

// Checks that a comparison has the number and kind of values its operator takes.
Result<void> CheckValues(const search::Comparison& cmp) {
  const size_t n = cmp.values.size();
  bool fits = false;
  switch (cmp.op) {
    case CompareOp::kIsNull:
    case CompareOp::kIsNotNull:
      fits = n == 0;
      break;
    case CompareOp::kIn:
      fits = n >= 1;
      break;
    case CompareOp::kBetween:
      fits = n == 2;
      break;
    case CompareOp::kLike:
    case CompareOp::kILike:
      fits = n == 1 && std::holds_alternative<std::string>(cmp.values.front());
      break;
    default:
      fits = n == 1;
      break;
  }
  if (fits) return Ok();
  return InvalidFilter("operator '" + std::string(search::ToString(cmp.op)) + "' with " +
                       std::to_string(n) + " values");
}

bool IsNumber(const search::Value& value) {
  return std::holds_alternative<int64_t>(value) || std::holds_alternative<double>(value);
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

class Compiler {
 public:
  explicit Compiler(Dialect dialect) : dialect_(dialect) {}

  Result<void> Emit(const search::Filter& filter) {
    using Kind = search::Filter::Kind;
    switch (filter.kind) {
      case Kind::kTerm:
        return std::visit([&](const auto& term) { return EmitTerm(term); }, filter.term);
      case Kind::kNot: {
        if (filter.operands.size() != 1) return InvalidFilter("not needs one operand");
        // and/or groups bring their own parentheses.
        const Kind operand = filter.operands.front().kind;
        const bool bare = operand == Kind::kTerm || operand == Kind::kNot;
        Append(bare ? "NOT (" : "NOT ");
        HF_CHECK(Emit(filter.operands.front()));
        if (bare) Append(")");
        return Ok();
      }
      case Kind::kAnd:
      case Kind::kOr: {
        if (filter.operands.empty()) return InvalidFilter("and/or without operands");
        const std::string_view glue = filter.kind == Kind::kAnd ? " AND " : " OR ";
        Append("(");
        for (size_t i = 0; i < filter.operands.size(); ++i) {
          if (i > 0) Append(glue);
          HF_CHECK(Emit(filter.operands[i]));
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
  template <typename T>
  void Bind(T&& value) {
    out_.params.emplace_back(std::forward<T>(value));
  }

  // A placeholder bound to `value`; PostgreSQL compares times as timestamptz.
  void AppendValue(const search::Value& value) {
    if (const auto* text = std::get_if<std::string>(&value)) {
      Append("?");
      Bind(*text);
    } else if (const auto* integer = std::get_if<int64_t>(&value)) {
      Append("?");
      Bind(*integer);
    } else if (const auto* real = std::get_if<double>(&value)) {
      Append("?");
      Bind(*real);
    } else {
      Append(Postgres() ? "?::timestamptz" : "?");
      Bind(FormatTime(std::get<Time>(value)));
    }
  }

  // Appends `<lhs> <op> <values>`.
  Result<void> EmitPredicate(std::string_view lhs, const search::Comparison& cmp) {
    HF_CHECK(CheckValues(cmp));
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
        EmitLike(cmp.op, std::get<std::string>(cmp.values.front()));
        return Ok();
      case CompareOp::kIn:
        Append(" IN (");
        for (size_t i = 0; i < cmp.values.size(); ++i) {
          if (i > 0) Append(", ");
          AppendValue(cmp.values[i]);
        }
        Append(")");
        return Ok();
      case CompareOp::kBetween:
        Append(" BETWEEN ");
        AppendValue(cmp.values[0]);
        Append(" AND ");
        AppendValue(cmp.values[1]);
        return Ok();
      default:
        Append(" ");
        Append(SqlOperator(cmp.op));
        Append(" ");
        AppendValue(cmp.values.front());
        return Ok();
    }
  }

  void EmitLike(CompareOp op, const std::string& pattern) {
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
  }

  Result<void> EmitTerm(const search::ColumnTerm& term) {
    if (FindColumn(term.column) == nullptr) {
      return InvalidFilter("unknown column '" + term.column + "'");
    }
    return EmitPredicate("r." + term.column, term.comparison);
  }

  // A semi-join on resource_labels; `is null` means the resource has no such label.
  Result<void> EmitTerm(const search::LabelTerm& term) {
    constexpr std::string_view kSubquery = "(SELECT resource_id FROM resource_labels WHERE key = ?";
    const CompareOp op = term.comparison.op;
    if (op == CompareOp::kIsNull || op == CompareOp::kIsNotNull) {
      HF_CHECK(CheckValues(term.comparison));
      Append(op == CompareOp::kIsNull ? "r.id NOT IN " : "r.id IN ");
      Append(kSubquery);
      Append(")");
      Bind(term.key);
      return Ok();
    }
    Append("r.id IN ");
    Append(kSubquery);
    Append(" AND ");
    Bind(term.key);
    HF_CHECK(EmitPredicate("value", term.comparison));
    Append(")");
    return Ok();
  }

  // A JSON path into r.spec, read as text, or as a number when the values are numbers.
  Result<void> EmitTerm(const search::SpecTerm& term) {
    if (term.path.empty()) return InvalidFilter("empty spec path");
    const auto& values = term.comparison.values;
    const bool numeric = !values.empty() && std::ranges::all_of(values, IsNumber);
    std::string lhs;
    std::string path_param;
    if (Postgres()) {
      lhs = "r.spec #>> ?::text[]";
      path_param = "{";
      for (size_t i = 0; i < term.path.size(); ++i) {
        if (i > 0) path_param += ',';
        path_param += term.path[i];
      }
      path_param += "}";
    } else {
      lhs = "json_extract(r.spec, ?)";
      path_param = "$";
      for (const std::string& segment : term.path) {
        path_param += ".\"";
        path_param += segment;
        path_param += "\"";
      }
    }
    if (numeric) lhs = "CAST(" + lhs + (Postgres() ? " AS numeric)" : " AS REAL)");
    Bind(std::move(path_param));
    return EmitPredicate(lhs, term.comparison);
  }

  // The Reconciled condition's status and last_updated_time are read from the copies on the
  // resource row (indexed; migrations 0003), every other condition from resource_conditions.
  Result<void> EmitTerm(const search::ConditionStatusTerm& term) {
    if (term.type == kReconciled) {
      Append("r.reconciled_status = ?");
    } else {
      Append("r.id IN (SELECT resource_id FROM resource_conditions WHERE type = ? AND status = ?)");
      Bind(term.type);
    }
    Bind(term.status);
    return Ok();
  }

  Result<void> EmitTerm(const search::ConditionFieldTerm& term) {
    if (std::ranges::find(kConditionColumns, term.field) == kConditionColumns.end()) {
      return InvalidFilter("unknown condition field '" + term.field + "'");
    }
    if (term.type == kReconciled && term.field == "last_updated_time") {
      // False, never NULL, without the condition: `not (...)` must then be true, as with IN.
      Append("(r.reconciled_updated_time IS NOT NULL AND ");
      HF_CHECK(EmitPredicate("r.reconciled_updated_time", term.comparison));
      Append(")");
      return Ok();
    }
    Append("r.id IN (SELECT resource_id FROM resource_conditions WHERE type = ? AND ");
    Bind(term.type);
    HF_CHECK(EmitPredicate(term.field, term.comparison));
    Append(")");
    return Ok();
  }

  Dialect dialect_;
  SqlFragment out_;
};

}  // namespace

Result<SqlFragment> SearchFilterSql(const search::Filter& filter, Dialect dialect) {
  Compiler compiler(dialect);
  HF_CHECK(compiler.Emit(filter));
  return std::move(compiler).Take();
}

Result<std::string> ResourceOrderClause(const std::vector<search::OrderTerm>& order) {
  if (order.empty()) return std::string("r.created_time DESC, r.id DESC");
  std::string out;
  bool has_id = false;
  for (const auto& o : order) {
    const ResourceColumn* column = FindColumn(o.column);
    if (column == nullptr || !column->sortable) {
      return Fail(ErrorCode::kInvalidArgument, "invalid order column '" + o.column + "'");
    }
    has_id = has_id || o.column == "id";
    if (!out.empty()) out += ", ";
    out += "r." + o.column + (o.descending ? " DESC" : " ASC");
    // PostgreSQL's NULL placement, spelled out so that SQLite sorts the same way.
    if (o.column.starts_with("owner_") || o.column.starts_with("deleted_")) {
      out += o.descending ? " NULLS FIRST" : " NULLS LAST";
    }
  }
  if (!has_id) out += ", r.id";
  return out;
}

}  // namespace hf::store::detail
