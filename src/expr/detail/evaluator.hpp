#pragma once

// Evaluates an expression tree over an activation (tree-walking; one Evaluator per evaluation).

#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "expr/detail/ast.hpp"
#include "expr/detail/function_table.hpp"
#include "expr/expr.hpp"

namespace hf::expr::detail {

class Evaluator {
 public:
  Evaluator(const Activation& vars, const Limits& limits) : vars_(vars), cost_(limits.max_cost) {}

  Result<Value> Eval(const Expr& e);

 private:
  Result<Value> Ident(const Expr& e);
  Result<Value> Select(const Expr& e);
  Result<Value> Call(const Expr& e);
  Result<Value> Operator(const Expr& e);
  Result<Value> Logical(const Expr& e);
  Result<Value> Index(const Expr& e, const Value& target, const Value& index);
  Result<Value> MakeList(const Expr& e);
  Result<Value> MakeMap(const Expr& e);
  Result<Value> Comprehension(const Expr& e);
  // The value of a macro-bound variable, or nullptr.
  const Value* Local(std::string_view name) const;

  const Activation& vars_;
  Cost cost_;
  std::vector<std::pair<std::string_view, Value>> locals_;  // innermost last
};

// The type named by an identifier ("int", "google.protobuf.Timestamp"), or nullopt.
std::optional<Value> TypeByName(std::string_view name);

}  // namespace hf::expr::detail
