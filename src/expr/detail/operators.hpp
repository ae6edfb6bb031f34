#pragma once

// CEL's operators on values: heterogeneous equality, ordering across int/uint/double, arithmetic
// with overflow errors, and `in` (google/cel-spec doc/langdef.md "Equality", "Ordering",
// "Overflow").

#include <compare>

#include "common/result.hpp"
#include "expr/detail/ast.hpp"
#include "expr/detail/function_table.hpp"
#include "expr/value.hpp"

namespace hf::expr::detail {

// a == b: numbers compare by value across int, uint and double (NaN equals nothing); lists and
// maps compare element by element; values of different types are not equal.
bool Equal(const Value& a, const Value& b);

// The order of a and b: numbers across types, strings, bytes, bools, timestamps, durations;
// unordered for NaN. Error "no such overload" for other pairs.
Result<std::partial_ordering> Compare(const Value& a, const Value& b);

// The arithmetic operators (+ - * / %) and unary minus. Errors: "int overflow", "uint overflow",
// "division by zero", "modulus by zero", "timestamp out of range", "duration out of range",
// "no such overload: int + string".
Result<Value> Arithmetic(Op op, const Value& a, const Value& b, Cost& cost);
Result<Value> Negate(const Value& a);

// `a in b`: membership in a list (by equality) or a map's keys.
Result<bool> In(const Value& a, const Value& b);

// The operator's symbol ("+", "==", "[]").
std::string_view Symbol(Op op);

}  // namespace hf::expr::detail
