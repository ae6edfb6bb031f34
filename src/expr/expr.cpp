#include "expr/expr.hpp"

#include "expr/detail/evaluator.hpp"
#include "expr/detail/parser.hpp"

namespace hf::expr {
namespace {

// Collects the identifiers that no macro binds.
void FreeVariables(const detail::Expr& e, std::vector<std::string_view>& bound,
                   std::set<std::string>& out) {
  using Kind = detail::Expr::Kind;
  if (e.kind == Kind::kIdent) {
    if (std::find(bound.begin(), bound.end(), e.name) == bound.end() && !detail::TypeByName(e.name))
      out.insert(e.name);
    return;
  }
  if (e.target) FreeVariables(*e.target, bound, out);
  if (e.kind == Kind::kComprehension) bound.push_back(e.name);
  for (const auto& a : e.args) FreeVariables(*a, bound, out);
  if (e.kind == Kind::kComprehension) bound.pop_back();
  for (const auto& entry : e.entries) {
    FreeVariables(*entry.key, bound, out);
    FreeVariables(*entry.value, bound, out);
  }
}

}  // namespace

struct Program::Compiled {
  std::string source;
  detail::ExprPtr root;
  std::set<std::string> variables;
};

Program::Program(std::shared_ptr<const Compiled> compiled) : compiled_(std::move(compiled)) {}

Result<Program> Program::Compile(std::string_view source) {
  auto compiled = std::make_shared<Compiled>();
  compiled->source = std::string(source);
  compiled->root = HF_TRY(detail::Parse(compiled->source));
  std::vector<std::string_view> bound;
  FreeVariables(*compiled->root, bound, compiled->variables);
  return Program(std::move(compiled));
}

Result<Value> Program::Evaluate(const Activation& vars, const Limits& limits) const {
  detail::Evaluator evaluator(vars, limits);
  return evaluator.Eval(*compiled_->root);
}

const std::string& Program::source() const { return compiled_->source; }

const std::set<std::string>& Program::variables() const { return compiled_->variables; }

}  // namespace hf::expr
