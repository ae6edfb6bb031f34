#pragma once

// Helpers for the expression tests: compile and evaluate in one step.

#include <string>
#include <string_view>

#include "expr/expr.hpp"

namespace hf::expr::testing {

// Compiles and evaluates `source` over `vars` (a JSON object, each key a variable).
inline Result<Value> Eval(std::string_view source,
                          const nlohmann::json& vars = nlohmann::json::object(),
                          Limits limits = {}) {
  auto program = HF_TRY(Program::Compile(source));
  Activation activation;
  for (const auto& [name, v] : vars.items()) activation.emplace(name, FromJson(v));
  return program.Evaluate(activation, limits);
}

// "type value" of a successful evaluation (e.g. `int 3`), or "error: <message>".
inline std::string Show(std::string_view source,
                        const nlohmann::json& vars = nlohmann::json::object()) {
  auto v = Eval(source, vars);
  if (!v) return "error: " + v.error().message;
  auto json = ToJson(*v);
  if (!json) return "error: " + json.error().message;
  return TypeName(*v) + " " + json->dump();
}

}  // namespace hf::expr::testing
