#pragma once

// The front door of the CEL engine (the Common Expression Language: google/cel-spec
// doc/langdef.md, with the optional-values syntax and the Kubernetes strings extension). An
// expression is compiled once (at config load) into a Program and evaluated many times over an
// Activation of named values. Values come from JSON (FromJson) and go back to JSON (ToJson).
// There is no type checker: variables are dynamic, and a type mismatch is an evaluation error.

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "expr/value.hpp"

namespace hf::expr {

// The variables an expression sees, by name.
using Activation = std::map<std::string, Value, std::less<>>;

struct Limits {
  // Evaluation steps allowed (one per node visited, plus the size of what string, list and map
  // functions touch); past it evaluation fails with "cost limit exceeded".
  int64_t max_cost = 1'000'000;
};

class Program {
 public:
  // Parses `source` and expands the macros (has, all, exists, exists_one, map, filter).
  // Errors: kInvalidArgument "column C: <problem>" ("line L, column C: …" when the source has
  // several lines), columns and lines 1-based, in characters.
  static Result<Program> Compile(std::string_view source);

  // Evaluates over `vars`. Errors (kInvalidArgument, one line): no such key, no such variable,
  // no matching overload (type mismatch), division by zero, overflow, invalid regex, cost limit
  // exceeded, … Thread-safe: one Program may be evaluated by several threads at once.
  Result<Value> Evaluate(const Activation& vars, const Limits& limits = {}) const;

  const std::string& source() const;
  // The free variables the expression reads (top-level identifiers that are not bound by a
  // macro), e.g. {"resource", "params"} for `resource.spec.x == params.y`.
  const std::set<std::string>& variables() const;

 private:
  struct Compiled;
  explicit Program(std::shared_ptr<const Compiled> compiled);
  std::shared_ptr<const Compiled> compiled_;
};

}  // namespace hf::expr
