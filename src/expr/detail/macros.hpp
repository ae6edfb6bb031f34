#pragma once

// The macros (google/cel-spec doc/langdef.md "Macros"): has(), all, exists, exists_one, map (two
// and three arguments), filter, and the optional macros optMap and optFlatMap.

#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "expr/detail/ast.hpp"

namespace hf::expr::detail {

// When the call `function(args)` (global when `target` is null, else `target.function(args)`)
// is a macro, its expansion; nullptr when it is an ordinary call. Errors (kInvalidArgument
// "column C: …", from `source`) for a macro used wrongly, e.g. has() of a non-selection.
// Consumes `target` and `args` only when it returns a node.
Result<ExprPtr> ExpandMacro(std::string_view source, size_t offset, std::string_view function,
                            ExprPtr& target, std::vector<ExprPtr>& args);

}  // namespace hf::expr::detail
