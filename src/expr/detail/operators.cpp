#include "expr/detail/operators.hpp"

#include <cmath>
#include <limits>

#include "expr/detail/time_text.hpp"

namespace hf::expr::detail {
namespace {

using K = Value::Kind;

bool IsNumber(const Value& v) {
  return v.kind() == K::kInt || v.kind() == K::kUint || v.kind() == K::kDouble;
}

// Orders two numbers of any numeric kinds: integers exactly, and as doubles when either is a
// double (as the specification's tests expect: 2^63-1 is not less than 2^63 as a double).
std::partial_ordering CompareNumbers(const Value& a, const Value& b) {
  auto as_double = [](const Value& v) {
    if (const double* d = v.AsDouble()) return *d;
    return v.kind() == K::kInt ? double(*v.AsInt()) : double(*v.AsUint());
  };
  if (a.kind() == K::kDouble || b.kind() == K::kDouble) return as_double(a) <=> as_double(b);
  auto as_int128 = [](const Value& v) -> __int128 {
    return v.kind() == K::kInt ? __int128(*v.AsInt()) : __int128(*v.AsUint());
  };
  return as_int128(a) <=> as_int128(b);
}

std::unexpected<Error> NoOverload(Op op, const Value& a, const Value& b) {
  return EvalError("no such overload: " + TypeName(a) + " " + std::string(Symbol(op)) + " " +
                   TypeName(b));
}

Result<Value> IntOp(Op op, int64_t a, int64_t b) {
  int64_t r = 0;
  switch (op) {
    case Op::kAdd:
      if (__builtin_add_overflow(a, b, &r)) return EvalError("int overflow");
      return Value(r);
    case Op::kSubtract:
      if (__builtin_sub_overflow(a, b, &r)) return EvalError("int overflow");
      return Value(r);
    case Op::kMultiply:
      if (__builtin_mul_overflow(a, b, &r)) return EvalError("int overflow");
      return Value(r);
    case Op::kDivide:
      if (b == 0) return EvalError("division by zero");
      if (a == std::numeric_limits<int64_t>::min() && b == -1) return EvalError("int overflow");
      return Value(a / b);
    case Op::kModulo:
      if (b == 0) return EvalError("modulus by zero");
      if (a == std::numeric_limits<int64_t>::min() && b == -1) return EvalError("int overflow");
      return Value(a % b);
    default:
      return EvalError("internal: bad int operator");
  }
}

Result<Value> UintOp(Op op, uint64_t a, uint64_t b) {
  uint64_t r = 0;
  switch (op) {
    case Op::kAdd:
      if (__builtin_add_overflow(a, b, &r)) return EvalError("uint overflow");
      return Value(r);
    case Op::kSubtract:
      if (__builtin_sub_overflow(a, b, &r)) return EvalError("uint overflow");
      return Value(r);
    case Op::kMultiply:
      if (__builtin_mul_overflow(a, b, &r)) return EvalError("uint overflow");
      return Value(r);
    case Op::kDivide:
      if (b == 0) return EvalError("division by zero");
      return Value(a / b);
    case Op::kModulo:
      if (b == 0) return EvalError("modulus by zero");
      return Value(a % b);
    default:
      return EvalError("internal: bad uint operator");
  }
}

Result<Value> TimeOp(Op op, const Value& a, const Value& b) {
  const auto* ta = a.AsTimestamp();
  const auto* tb = b.AsTimestamp();
  const auto* da = a.AsDuration();
  const auto* db = b.AsDuration();
  auto timestamp = [](Nanos n) -> Result<Value> {
    auto t = TimestampFromNanos(n);
    if (!t) return EvalError("timestamp out of range");
    return Value(*t);
  };
  auto duration = [](Nanos n) -> Result<Value> {
    auto d = DurationFromNanos(n);
    if (!d) return EvalError("duration out of range");
    return Value(*d);
  };
  if (op == Op::kAdd) {
    if (ta && db) return timestamp(ToNanos(*ta) + ToNanos(*db));
    if (da && tb) return timestamp(ToNanos(*da) + ToNanos(*tb));
    if (da && db) return duration(ToNanos(*da) + ToNanos(*db));
  } else if (op == Op::kSubtract) {
    if (ta && db) return timestamp(ToNanos(*ta) - ToNanos(*db));
    if (ta && tb) return duration(ToNanos(*ta) - ToNanos(*tb));
    if (da && db) return duration(ToNanos(*da) - ToNanos(*db));
  }
  return NoOverload(op, a, b);
}

}  // namespace

std::string_view Symbol(Op op) {
  switch (op) {
    case Op::kAnd:
      return "&&";
    case Op::kOr:
      return "||";
    case Op::kNot:
      return "!";
    case Op::kNegate:
      return "-";
    case Op::kConditional:
      return "?:";
    case Op::kEqual:
      return "==";
    case Op::kNotEqual:
      return "!=";
    case Op::kLess:
      return "<";
    case Op::kLessEqual:
      return "<=";
    case Op::kGreater:
      return ">";
    case Op::kGreaterEqual:
      return ">=";
    case Op::kIn:
      return "in";
    case Op::kAdd:
      return "+";
    case Op::kSubtract:
      return "-";
    case Op::kMultiply:
      return "*";
    case Op::kDivide:
      return "/";
    case Op::kModulo:
      return "%";
    case Op::kIndex:
      return "[]";
    case Op::kOptionalIndex:
      return "[?]";
    case Op::kNone:
      break;
  }
  return "?";
}

bool Equal(const Value& a, const Value& b) {
  if (IsNumber(a) && IsNumber(b)) return CompareNumbers(a, b) == 0;
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case K::kNull:
      return true;
    case K::kBool:
      return *a.AsBool() == *b.AsBool();
    case K::kString:
      return *a.AsString() == *b.AsString();
    case K::kBytes:
      return *a.AsBytes() == *b.AsBytes();
    case K::kTimestamp:
      return *a.AsTimestamp() == *b.AsTimestamp();
    case K::kDuration:
      return *a.AsDuration() == *b.AsDuration();
    case K::kType:
      return *a.AsType() == *b.AsType();
    case K::kList: {
      const List& la = *a.AsList();
      const List& lb = *b.AsList();
      if (la.size() != lb.size()) return false;
      for (size_t i = 0; i < la.size(); ++i) {
        if (!Equal(la[i], lb[i])) return false;
      }
      return true;
    }
    case K::kMap: {
      const Map& ma = *a.AsMap();
      const Map& mb = *b.AsMap();
      if (ma.size() != mb.size()) return false;
      for (const auto& [k, entry] : ma) {
        const Value* other = mb.Find(entry.first);
        if (other == nullptr || !Equal(entry.second, *other)) return false;
      }
      return true;
    }
    case K::kOptional: {
      const Value* va = a.OptionalValue();
      const Value* vb = b.OptionalValue();
      if (!va || !vb) return !va && !vb;
      return Equal(*va, *vb);
    }
    default:
      return false;
  }
}

Result<std::partial_ordering> Compare(const Value& a, const Value& b) {
  if (IsNumber(a) && IsNumber(b)) return CompareNumbers(a, b);
  if (a.kind() == b.kind()) {
    switch (a.kind()) {
      case K::kBool:
        return *a.AsBool() <=> *b.AsBool();
      case K::kString:
        return *a.AsString() <=> *b.AsString();
      case K::kBytes:
        return a.AsBytes()->data <=> b.AsBytes()->data;
      case K::kTimestamp:
        return *a.AsTimestamp() <=> *b.AsTimestamp();
      case K::kDuration:
        return *a.AsDuration() <=> *b.AsDuration();
      default:
        break;
    }
  }
  return EvalError("no such overload: " + TypeName(a) + " < " + TypeName(b));
}

Result<Value> Arithmetic(Op op, const Value& a, const Value& b, Cost& cost) {
  if (a.kind() == K::kInt && b.kind() == K::kInt) return IntOp(op, *a.AsInt(), *b.AsInt());
  if (a.kind() == K::kUint && b.kind() == K::kUint) return UintOp(op, *a.AsUint(), *b.AsUint());
  if (a.kind() == K::kDouble && b.kind() == K::kDouble) {
    const double x = *a.AsDouble(), y = *b.AsDouble();
    switch (op) {
      case Op::kAdd:
        return Value(x + y);
      case Op::kSubtract:
        return Value(x - y);
      case Op::kMultiply:
        return Value(x * y);
      case Op::kDivide:
        return Value(x / y);
      default:
        return NoOverload(op, a, b);
    }
  }
  if (op == Op::kAdd && a.kind() == b.kind()) {
    if (a.kind() == K::kString) {
      HF_CHECK(cost.Charge(int64_t(a.AsString()->size() + b.AsString()->size()) / 64));
      return Value(*a.AsString() + *b.AsString());
    }
    if (a.kind() == K::kBytes) {
      HF_CHECK(cost.Charge(int64_t(a.AsBytes()->data.size() + b.AsBytes()->data.size()) / 64));
      return Value(Bytes{a.AsBytes()->data + b.AsBytes()->data});
    }
    if (a.kind() == K::kList) {
      const List& la = *a.AsList();
      const List& lb = *b.AsList();
      HF_CHECK(cost.Charge(int64_t(la.size() + lb.size())));
      List out;
      out.reserve(la.size() + lb.size());
      out.insert(out.end(), la.begin(), la.end());
      out.insert(out.end(), lb.begin(), lb.end());
      return Value(std::move(out));
    }
  }
  if (a.kind() == K::kTimestamp || a.kind() == K::kDuration) return TimeOp(op, a, b);
  return NoOverload(op, a, b);
}

Result<Value> Negate(const Value& a) {
  if (const int64_t* i = a.AsInt()) {
    if (*i == std::numeric_limits<int64_t>::min()) return EvalError("int overflow");
    return Value(-*i);
  }
  if (const double* d = a.AsDouble()) return Value(-*d);
  if (const Duration* d = a.AsDuration()) return Value(Duration{-d->seconds, -d->nanos});
  return EvalError("no such overload: -" + TypeName(a));
}

Result<bool> In(const Value& a, const Value& b) {
  if (const List* list = b.AsList()) {
    for (const Value& item : *list) {
      if (Equal(a, item)) return true;
    }
    return false;
  }
  if (const Map* map = b.AsMap()) return map->Find(a) != nullptr;
  return EvalError("no such overload: " + TypeName(a) + " in " + TypeName(b));
}

}  // namespace hf::expr::detail
