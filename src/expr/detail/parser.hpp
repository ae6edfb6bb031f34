#pragma once

// Parses CEL source into an expression tree (google/cel-spec doc/langdef.md "Syntax", with the
// optional-values syntax `a.?b`, `a[?b]`, `[?x]`, `{?k: v}` and backquoted field names).

#include <string_view>

#include "common/result.hpp"
#include "expr/detail/ast.hpp"

namespace hf::expr::detail {

// How deeply expressions may nest (parentheses, calls, operators, selections): deeper sources
// fail to parse ("expression nested too deeply") instead of exhausting the stack.
inline constexpr int kMaxNesting = 250;

// Errors: kInvalidArgument "column C: <problem>" ("line L, column C: …" for several lines).
Result<ExprPtr> Parse(std::string_view source);

}  // namespace hf::expr::detail
