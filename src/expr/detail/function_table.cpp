#include "expr/detail/function_table.hpp"

namespace hf::expr::detail {

Result<void> Cost::Charge(int64_t n) {
  left_ -= n;
  if (left_ < 0) return EvalError("cost limit exceeded");
  return Ok();
}

std::unexpected<Error> EvalError(std::string message) {
  return Fail(ErrorCode::kInvalidArgument, std::move(message));
}

std::unexpected<Error> NoSuchOverload(std::string_view function, std::span<const Value> args,
                                      bool member) {
  std::string text = "no such overload: ";
  size_t first = 0;
  if (member && !args.empty()) {
    text += TypeName(args[0]) + ".";
    first = 1;
  }
  text += std::string(function) + "(";
  for (size_t i = first; i < args.size(); ++i) {
    if (i > first) text += ", ";
    text += TypeName(args[i]);
  }
  return EvalError(text + ")");
}

void FunctionTable::Add(std::string_view name, CallStyle style, Function f) {
  if (style != CallStyle::kMember) global_[std::string(name)] = f;
  if (style != CallStyle::kGlobal) member_[std::string(name)] = f;
}

Function FunctionTable::Find(std::string_view name, bool member) const {
  const auto& table = member ? member_ : global_;
  const auto it = table.find(std::string(name));
  return it == table.end() ? nullptr : it->second;
}

const FunctionTable& FunctionTable::Builtins() {
  static const FunctionTable table = [] {
    FunctionTable t;
    AddCoreFunctions(t);
    AddConversionFunctions(t);
    AddStringFunctions(t);
    AddTimestampFunctions(t);
    AddOptionalFunctions(t);
    return t;
  }();
  return table;
}

}  // namespace hf::expr::detail
