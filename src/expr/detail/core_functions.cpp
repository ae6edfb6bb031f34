// The core functions: size, type, dyn.
#include "expr/detail/function_table.hpp"
#include "expr/detail/utf8.hpp"

namespace hf::expr::detail {
namespace {

Result<Value> Size(std::span<const Value> args, Cost& cost) {
  if (args.size() == 1) {
    const Value& v = args[0];
    if (const auto* s = v.AsString()) {
      HF_CHECK(cost.Charge(int64_t(s->size()) / 64));
      return Value(int64_t(CodePointCount(*s)));
    }
    if (const auto* b = v.AsBytes()) return Value(int64_t(b->data.size()));
    if (const auto* l = v.AsList()) return Value(int64_t(l->size()));
    if (const auto* m = v.AsMap()) return Value(int64_t(m->size()));
  }
  return NoSuchOverload("size", args, false);
}

Result<Value> TypeOf(std::span<const Value> args, Cost&) {
  if (args.size() != 1) return NoSuchOverload("type", args, false);
  const Value& v = args[0];
  switch (v.kind()) {
    case Value::Kind::kTimestamp:
      return Value(Type{"google.protobuf.Timestamp"});
    case Value::Kind::kDuration:
      return Value(Type{"google.protobuf.Duration"});
    case Value::Kind::kOptional:
      return Value(Type{"optional_type"});
    default:
      return Value(Type{TypeName(v)});
  }
}

Result<Value> Dyn(std::span<const Value> args, Cost&) {
  if (args.size() != 1) return NoSuchOverload("dyn", args, false);
  return args[0];
}

}  // namespace

void AddCoreFunctions(FunctionTable& table) {
  table.Add("size", CallStyle::kBoth, Size);
  table.Add("type", CallStyle::kGlobal, TypeOf);
  table.Add("dyn", CallStyle::kGlobal, Dyn);
}

}  // namespace hf::expr::detail
