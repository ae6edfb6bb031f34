// Optional values: optional.of, optional.ofNonZeroValue, optional.none, hasValue, value, orValue,
// or (optMap and optFlatMap are macros).
#include "expr/detail/function_table.hpp"

namespace hf::expr::detail {
namespace {

bool IsZero(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      return true;
    case Value::Kind::kBool:
      return !*v.AsBool();
    case Value::Kind::kInt:
      return *v.AsInt() == 0;
    case Value::Kind::kUint:
      return *v.AsUint() == 0;
    case Value::Kind::kDouble:
      return *v.AsDouble() == 0;
    case Value::Kind::kString:
      return v.AsString()->empty();
    case Value::Kind::kBytes:
      return v.AsBytes()->data.empty();
    case Value::Kind::kList:
      return v.AsList()->empty();
    case Value::Kind::kMap:
      return v.AsMap()->empty();
    case Value::Kind::kTimestamp:
      return *v.AsTimestamp() == Timestamp{};
    case Value::Kind::kDuration:
      return *v.AsDuration() == Duration{};
    case Value::Kind::kOptional:
      return v.OptionalValue() == nullptr;
    case Value::Kind::kType:
      return false;
  }
  return false;
}

bool IsOptional(std::span<const Value> args, size_t n) {
  return args.size() == n && args[0].kind() == Value::Kind::kOptional;
}

Result<Value> Of(std::span<const Value> args, Cost&) {
  if (args.size() != 1) return NoSuchOverload("optional.of", args, false);
  return Value::OptionalOf(args[0]);
}

Result<Value> OfNonZeroValue(std::span<const Value> args, Cost&) {
  if (args.size() != 1) return NoSuchOverload("optional.ofNonZeroValue", args, false);
  return IsZero(args[0]) ? Value::OptionalNone() : Value::OptionalOf(args[0]);
}

Result<Value> None(std::span<const Value> args, Cost&) {
  if (!args.empty()) return NoSuchOverload("optional.none", args, false);
  return Value::OptionalNone();
}

Result<Value> HasValue(std::span<const Value> args, Cost&) {
  if (!IsOptional(args, 1)) return NoSuchOverload("hasValue", args, true);
  return Value(args[0].OptionalValue() != nullptr);
}

Result<Value> GetValue(std::span<const Value> args, Cost&) {
  if (!IsOptional(args, 1)) return NoSuchOverload("value", args, true);
  const Value* v = args[0].OptionalValue();
  if (v == nullptr) return EvalError("optional.none() has no value");
  return *v;
}

Result<Value> OrValue(std::span<const Value> args, Cost&) {
  if (!IsOptional(args, 2)) return NoSuchOverload("orValue", args, true);
  const Value* v = args[0].OptionalValue();
  return v ? *v : args[1];
}

Result<Value> Or(std::span<const Value> args, Cost&) {
  if (!IsOptional(args, 2) || args[1].kind() != Value::Kind::kOptional)
    return NoSuchOverload("or", args, true);
  return args[0].OptionalValue() ? args[0] : args[1];
}

}  // namespace

void AddOptionalFunctions(FunctionTable& table) {
  table.Add("optional.of", CallStyle::kGlobal, Of);
  table.Add("optional.ofNonZeroValue", CallStyle::kGlobal, OfNonZeroValue);
  table.Add("optional.none", CallStyle::kGlobal, None);
  table.Add("hasValue", CallStyle::kMember, HasValue);
  table.Add("value", CallStyle::kMember, GetValue);
  table.Add("orValue", CallStyle::kMember, OrValue);
  table.Add("or", CallStyle::kMember, Or);
}

}  // namespace hf::expr::detail
