#include "expr/detail/macros.hpp"

#include "expr/detail/lexer.hpp"

namespace hf::expr::detail {
namespace {

struct MacroSpec {
  std::string_view name;
  size_t arity;
  Macro macro;
};

constexpr MacroSpec kMacros[] = {
    {"all", 2, Macro::kAll},
    {"exists", 2, Macro::kExists},
    {"exists_one", 2, Macro::kExistsOne},
    {"existsOne", 2, Macro::kExistsOne},
    {"map", 2, Macro::kMap},
    {"map", 3, Macro::kMap},
    {"filter", 2, Macro::kFilter},
    {"optMap", 2, Macro::kOptMap},
    {"optFlatMap", 2, Macro::kOptFlatMap},
};

}  // namespace

Result<ExprPtr> ExpandMacro(std::string_view source, size_t offset, std::string_view function,
                            ExprPtr& target, std::vector<ExprPtr>& args) {
  if (!target) {
    if (function != "has" || args.size() != 1) return ExprPtr();
    const Expr& arg = *args[0];
    if (arg.kind != Expr::Kind::kSelect || arg.optional || arg.test_only) {
      return Fail(ErrorCode::kInvalidArgument,
                  Where(source, arg.offset, "has() needs a field selection, e.g. has(a.b)"));
    }
    // Every node is created mutable by the parser; only the tree's handles are const.
    std::unique_ptr<Expr> node(const_cast<Expr*>(args[0].release()));
    node->test_only = true;
    node->qualified.clear();
    args.clear();
    return ExprPtr(std::move(node));
  }
  for (const MacroSpec& spec : kMacros) {
    if (spec.name != function || spec.arity != args.size()) continue;
    if (args[0]->kind != Expr::Kind::kIdent) {
      return Fail(
          ErrorCode::kInvalidArgument,
          Where(source, args[0]->offset, std::string(function) + "() needs a variable name first"));
    }
    auto node = std::make_unique<Expr>();
    node->kind = Expr::Kind::kComprehension;
    node->offset = offset;
    node->macro = spec.macro;
    node->name = args[0]->name;
    node->target = std::move(target);
    // map(x, filter, transform) keeps the transform first, then the filter.
    if (args.size() == 3) {
      node->args.push_back(std::move(args[2]));
      node->args.push_back(std::move(args[1]));
    } else {
      node->args.push_back(std::move(args[1]));
    }
    args.clear();
    UpdateHeight(*node);
    return ExprPtr(std::move(node));
  }
  return ExprPtr();
}

}  // namespace hf::expr::detail
