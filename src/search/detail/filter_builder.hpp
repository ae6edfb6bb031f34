#pragma once

#include "common/result.hpp"
#include "search/detail/ast.hpp"
#include "search/filter.hpp"

namespace hf::search::detail {

// Turns a parsed expression into a Filter: resolves each field name to a term (resource column,
// label, spec path, condition status or condition field), types each value by its field, and
// keeps the shape of the expression (and/or/not).
//
// Rejects (kBadRequest, with the reference API's messages) unknown or malformed field names,
// values of the wrong type for typed fields, operators a term does not support, like patterns
// ending in an unpaired '\', and `not` above a label or condition term. Checks run left to right
// through the expression, so the first problem in the query is the one reported.
Result<Filter> BuildFilter(const Expr& expr);

}  // namespace hf::search::detail
