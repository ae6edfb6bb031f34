#pragma once

#include <string_view>

#include "common/result.hpp"
#include "search/detail/ast.hpp"

namespace hf::search::detail {

// Deepest nesting of parentheses and `not` a query may use.
inline constexpr int kMaxNesting = 64;

// Parses a non-empty, trimmed query into an expression tree. Grammar, loosest binding first:
//   or         := and ("or" and)*
//   and        := unary ("and" unary)*
//   unary      := "not" unary | "(" or ")" | comparison
//   comparison := FIELD ("=" | "!=" | "<" | "<=" | ">" | ">=" | "like" | "ilike") value
//               | FIELD "in" ("[" values "]" | "(" values ")")
//               | FIELD "between" value "and" value
//               | FIELD "is" ["not"] "null"
//   value      := STRING | NUMBER
// Keywords are case-insensitive. Only syntax is checked here; field names and value types are
// checked by BuildFilter (search/detail/filter_builder.hpp). Errors are SyntaxErrors naming what
// was expected and where.
Result<Expr> Parse(std::string_view query);

}  // namespace hf::search::detail
