#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "search/filter.hpp"

namespace hf::search::detail {

// A literal value as written in the query. Numbers keep their text so that BuildFilter can type
// them by the field they are compared to (int64, double, or text).
struct Literal {
  enum class Kind { kString, kNumber };
  Kind kind = Kind::kString;
  std::string text;  // unescaped string contents, or the number as written ("-1", "2.50")
  size_t pos = 0;    // 1-based byte position in the trimmed query

  [[nodiscard]] bool IsNumber() const { return kind == Kind::kNumber; }
  // True for a number without a fractional part.
  [[nodiscard]] bool IsInteger() const { return IsNumber() && text.find('.') == std::string::npos; }
};

// `<field> <op> <values>`. `values` holds one literal for = != < <= > >= like ilike, two for
// between, one or more for in, none for is [not] null.
struct ComparisonExpr {
  std::string field;
  size_t pos = 0;
  CompareOp op = CompareOp::kEq;
  std::vector<Literal> values;
};

// A node of the expression tree. kAnd/kOr hold two or more operands (chains are flattened),
// kNot exactly one, kComparison none.
struct Expr {
  enum class Kind { kComparison, kAnd, kOr, kNot };
  Kind kind = Kind::kComparison;
  ComparisonExpr comparison;
  std::vector<Expr> operands;
};

}  // namespace hf::search::detail
