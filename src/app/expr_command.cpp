// `hyperfleet expr eval EXPR [--vars JSON|@FILE]`: evaluates a CEL expression, for adapter
// authors trying one out. Prints one JSON line {"type": T, "value": V} and exits 0; an
// evaluation error prints {"error": "…"} and exits 1; a parse or usage error is one line on
// stderr and exit 2.
#include <iostream>

#include "app/commands.hpp"
#include "common/file.hpp"
#include "common/json_depth.hpp"
#include "expr/expr.hpp"

namespace hf::app {
namespace {

struct ExprInvocation {
  CLI::App* eval = nullptr;
  std::string source;
  std::string vars;
};

ExprInvocation& Invocation() {
  static ExprInvocation inv;
  return inv;
}

// The variables from --vars (a JSON object, inline or @FILE).
Result<expr::Activation> LoadVars(const std::string& arg) {
  expr::Activation vars;
  if (arg.empty()) return vars;
  std::string text = arg;
  if (arg.starts_with('@')) {
    auto content = ReadFile(arg.substr(1));
    if (!content) return Fail(ErrorCode::kInvalidArgument, "--vars: cannot read " + arg.substr(1));
    text = std::move(*content);
  }
  if (JsonNestedDeeperThan(text))
    return Fail(ErrorCode::kInvalidArgument, "--vars: JSON nested too deeply");
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded()) return Fail(ErrorCode::kInvalidArgument, "--vars: not valid JSON");
  if (!json.is_object())
    return Fail(ErrorCode::kInvalidArgument, "--vars: must be a JSON object of variables");
  for (const auto& [name, value] : json.items()) vars.emplace(name, expr::FromJson(value));
  return vars;
}

}  // namespace

void AddExprCommands(CLI::App& app) {
  CLI::App* group = app.add_subcommand("expr", "Try CEL expressions (the adapters' language)");
  group->require_subcommand(1);
  ExprInvocation& inv = Invocation();
  inv.eval = group->add_subcommand("eval", "Evaluate one expression and print its type and value");
  inv.eval->add_option("EXPR", inv.source, "The CEL expression")->required();
  inv.eval->add_option("--vars", inv.vars,
                       "Variables as a JSON object, or @FILE holding one (keys become names)");
}

std::optional<int> RunExpr() {
  const ExprInvocation& inv = Invocation();
  if (inv.eval == nullptr || !inv.eval->parsed()) return std::nullopt;
  auto vars = LoadVars(inv.vars);
  if (!vars) {
    std::cerr << "hyperfleet expr eval: " << vars.error().message << "\n";
    return 2;
  }
  auto program = expr::Program::Compile(inv.source);
  if (!program) {
    std::cerr << "hyperfleet expr eval: " << program.error().message << "\n";
    return 2;
  }
  auto value = program->Evaluate(*vars);
  Result<nlohmann::json> json = value ? expr::ToJson(*value) : std::unexpected(value.error());
  if (!json) {
    std::cout << nlohmann::json{{"error", json.error().message}}.dump() << "\n";
    return 1;
  }
  std::cout << nlohmann::json{{"type", expr::TypeName(*value)}, {"value", *json}}.dump() << "\n";
  return 0;
}

}  // namespace hf::app
