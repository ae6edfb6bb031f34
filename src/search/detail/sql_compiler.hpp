#pragma once

#include "common/result.hpp"
#include "common/sql_fragment.hpp"
#include "search/detail/ast.hpp"

namespace hf::search::detail {

// Compiles a parsed expression into a WHERE fragment over `resources r` for `dialect`.
//
// Field names resolve to SQL only through fixed forms (an allow-listed `r.<column>`, a
// resource_labels or resource_conditions semi-join, or a JSON path into r.spec); every value,
// label key, condition type and JSON path is a bound `?` parameter. Each and/or group is
// parenthesised, so the fragment can be ANDed onto other conditions as is.
//
// Rejects (kBadRequest, with the reference API's messages) unknown or malformed field names,
// values of the wrong type for typed fields, operators a target does not support, and `not`
// above a label or condition term.
Result<SqlFragment> CompileExpr(const Expr& expr, Dialect dialect);

}  // namespace hf::search::detail
