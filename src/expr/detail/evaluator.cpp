#include "expr/detail/evaluator.hpp"

#include <cmath>

#include "expr/detail/operators.hpp"

namespace hf::expr::detail {
namespace {

using K = Value::Kind;

std::string KeyText(const Value& key) {
  if (const auto* s = key.AsString()) return "'" + *s + "'";
  if (const auto b = key.AsBool()) return *b ? "true" : "false";
  if (const auto* i = key.AsInt()) return std::to_string(*i);
  if (const auto* u = key.AsUint()) return std::to_string(*u) + "u";
  if (const auto* d = key.AsDouble()) return std::to_string(*d);
  return TypeName(key);
}

// The position a list index names, or an error.
Result<size_t> ListPosition(const List& list, const Value& index) {
  int64_t i;
  if (const auto* v = index.AsInt()) {
    i = *v;
  } else if (const auto* u = index.AsUint()) {
    i = *u > uint64_t(INT64_MAX) ? INT64_MAX : int64_t(*u);
  } else if (const auto* d = index.AsDouble()) {
    if (*d != std::trunc(*d) || std::fabs(*d) > 0x1p62)
      return EvalError("invalid list index: " + KeyText(index));
    i = int64_t(*d);
  } else {
    return EvalError("no such overload: list[" + TypeName(index) + "]");
  }
  if (i < 0 || uint64_t(i) >= list.size())
    return EvalError("index out of range: " + std::to_string(i));
  return size_t(i);
}

// What comparing a value element by element costs, roughly: its element count or text size.
int64_t Weight(const Value& v) {
  if (const List* l = v.AsList()) return int64_t(l->size());
  if (const Map* m = v.AsMap()) return int64_t(m->size());
  if (const std::string* s = v.AsString()) return int64_t(s->size()) / 64;
  if (const Bytes* b = v.AsBytes()) return int64_t(b->data.size()) / 64;
  return 0;
}

// Binds a macro variable for the scope of one iteration.
class Bind {
 public:
  Bind(std::vector<std::pair<std::string_view, Value>>& locals, std::string_view name, Value v)
      : locals_(locals) {
    locals_.emplace_back(name, std::move(v));
  }
  ~Bind() { locals_.pop_back(); }

 private:
  std::vector<std::pair<std::string_view, Value>>& locals_;
};

}  // namespace

std::optional<Value> TypeByName(std::string_view name) {
  static constexpr std::string_view kTypes[] = {"int",
                                                "uint",
                                                "double",
                                                "string",
                                                "bytes",
                                                "bool",
                                                "list",
                                                "map",
                                                "type",
                                                "null_type",
                                                "google.protobuf.Timestamp",
                                                "google.protobuf.Duration",
                                                "optional_type"};
  for (std::string_view t : kTypes) {
    if (t == name) return Value(Type{std::string(t)});
  }
  return std::nullopt;
}

const Value* Evaluator::Local(std::string_view name) const {
  for (auto it = locals_.rbegin(); it != locals_.rend(); ++it) {
    if (it->first == name) return &it->second;
  }
  return nullptr;
}

Result<Value> Evaluator::Eval(const Expr& e) {
  HF_CHECK(cost_.Charge(1));
  switch (e.kind) {
    case Expr::Kind::kLiteral:
      return e.literal;
    case Expr::Kind::kIdent:
      return Ident(e);
    case Expr::Kind::kSelect:
      return Select(e);
    case Expr::Kind::kCall:
      return e.op == Op::kNone ? Call(e) : Operator(e);
    case Expr::Kind::kList:
      return MakeList(e);
    case Expr::Kind::kMap:
      return MakeMap(e);
    case Expr::Kind::kComprehension:
      return Comprehension(e);
  }
  return EvalError("internal: unknown node");
}

Result<Value> Evaluator::Ident(const Expr& e) {
  if (const Value* v = Local(e.name)) return *v;
  if (const auto it = vars_.find(e.name); it != vars_.end()) return it->second;
  if (auto t = TypeByName(e.name)) return *t;
  return EvalError("no such variable: '" + e.name + "'");
}

Result<Value> Evaluator::Select(const Expr& e) {
  // a.b.c may name a variable "a.b.c" (or a type), unless `a` is a macro variable.
  if (!e.qualified.empty() &&
      !Local(std::string_view(e.qualified).substr(0, e.qualified.find('.')))) {
    if (const auto it = vars_.find(e.qualified); it != vars_.end()) return it->second;
    if (auto t = TypeByName(e.qualified)) return *t;
  }
  Value target = HF_TRY(Eval(*e.target));
  bool optional = e.optional;
  if (target.kind() == K::kOptional) {
    const Value* inner = target.OptionalValue();
    if (inner == nullptr) return e.test_only ? Value(false) : Value::OptionalNone();
    target = Value(*inner);  // a copy first: inner lives inside target
    optional = !e.test_only;
  }
  if (const Map* map = target.AsMap()) {
    const Value* v = map->Find(std::string_view(e.name));
    if (e.test_only) return Value(v != nullptr);
    if (optional) return v ? Value::OptionalOf(*v) : Value::OptionalNone();
    if (v == nullptr) return EvalError("no such key: '" + e.name + "'");
    return *v;
  }
  return EvalError("no such field '" + e.name + "' on " + TypeName(target));
}

Result<Value> Evaluator::Index(const Expr& e, const Value& target_in, const Value& index) {
  Value target = target_in;
  bool optional = e.op == Op::kOptionalIndex;
  if (target.kind() == K::kOptional) {
    const Value* inner = target.OptionalValue();
    if (inner == nullptr) return Value::OptionalNone();
    target = Value(*inner);  // a copy first: inner lives inside target
    optional = true;
  }
  if (const List* list = target.AsList()) {
    auto pos = ListPosition(*list, index);
    if (!pos) {
      if (optional && pos.error().message.starts_with("index out of range"))
        return Value::OptionalNone();
      return std::unexpected(pos.error());
    }
    return optional ? Value::OptionalOf((*list)[*pos]) : (*list)[*pos];
  }
  if (const Map* map = target.AsMap()) {
    if (!Map::KeyOf(index, true) && index.kind() != K::kDouble)
      return EvalError("no such overload: map[" + TypeName(index) + "]");
    const Value* v = map->Find(index);
    if (optional) return v ? Value::OptionalOf(*v) : Value::OptionalNone();
    if (v == nullptr) return EvalError("no such key: " + KeyText(index));
    return *v;
  }
  return EvalError("no such overload: " + TypeName(target) + "[" + TypeName(index) + "]");
}

Result<Value> Evaluator::Logical(const Expr& e) {
  // Commutative and error-absorbing: false && error is false, true || error is true.
  const bool is_and = e.op == Op::kAnd;
  auto side = [&](const Expr& x) -> Result<bool> {
    auto v = Eval(x);
    if (!v) return std::unexpected(v.error());
    if (auto b = v->AsBool()) return *b;
    return EvalError("no such overload: " + TypeName(*v) + " " + std::string(Symbol(e.op)) + " _");
  };
  const auto l = side(*e.args[0]);
  if (l && *l != is_and) return Value(!is_and);
  if (!l && cost_.exhausted()) return std::unexpected(l.error());
  const auto r = side(*e.args[1]);
  if (r && *r != is_and) return Value(!is_and);
  if (!l) return std::unexpected(l.error());
  if (!r) return std::unexpected(r.error());
  return Value(is_and);
}

Result<Value> Evaluator::Operator(const Expr& e) {
  switch (e.op) {
    case Op::kAnd:
    case Op::kOr:
      return Logical(e);
    case Op::kConditional: {
      const Value c = HF_TRY(Eval(*e.args[0]));
      const auto b = c.AsBool();
      if (!b) return EvalError("no such overload: " + TypeName(c) + " ? _ : _");
      return Eval(*e.args[*b ? 1 : 2]);
    }
    case Op::kNot: {
      const Value v = HF_TRY(Eval(*e.args[0]));
      const auto b = v.AsBool();
      if (!b) return EvalError("no such overload: !" + TypeName(v));
      return Value(!*b);
    }
    case Op::kNegate:
      return Negate(HF_TRY(Eval(*e.args[0])));
    default:
      break;
  }
  const Value a = HF_TRY(Eval(*e.args[0]));
  const Value b = HF_TRY(Eval(*e.args[1]));
  if (e.op == Op::kEqual || e.op == Op::kNotEqual || e.op == Op::kIn)
    HF_CHECK(cost_.Charge(Weight(a) + Weight(b)));
  switch (e.op) {
    case Op::kEqual:
      return Value(Equal(a, b));
    case Op::kNotEqual:
      return Value(!Equal(a, b));
    case Op::kLess:
    case Op::kLessEqual:
    case Op::kGreater:
    case Op::kGreaterEqual: {
      auto order = Compare(a, b);
      if (!order) {
        return EvalError("no such overload: " + TypeName(a) + " " + std::string(Symbol(e.op)) +
                         " " + TypeName(b));
      }
      if (e.op == Op::kLess) return Value(*order < 0);
      if (e.op == Op::kLessEqual) return Value(*order <= 0);
      if (e.op == Op::kGreater) return Value(*order > 0);
      return Value(*order >= 0);
    }
    case Op::kIn:
      return Value(HF_TRY(In(a, b)));
    case Op::kIndex:
    case Op::kOptionalIndex:
      return Index(e, a, b);
    default:
      return Arithmetic(e.op, a, b, cost_);
  }
}

Result<Value> Evaluator::Call(const Expr& e) {
  std::vector<Value> args;
  args.reserve(e.args.size() + 1);
  if (e.target) args.push_back(HF_TRY(Eval(*e.target)));
  for (const auto& a : e.args) args.push_back(HF_TRY(Eval(*a)));
  const Function f = FunctionTable::Builtins().Find(e.name, e.target != nullptr);
  if (f == nullptr) {
    if (e.target) return NoSuchOverload(e.name, args, true);
    return EvalError("no such function: '" + e.name + "'");
  }
  return f(args, cost_);
}

Result<Value> Evaluator::MakeList(const Expr& e) {
  List out;
  out.reserve(e.args.size());
  for (size_t i = 0; i < e.args.size(); ++i) {
    Value v = HF_TRY(Eval(*e.args[i]));
    if (!e.optional_elements.empty() && e.optional_elements[i]) {
      if (v.kind() != K::kOptional)
        return EvalError("no such overload: [?" + TypeName(v) + "] (needs an optional)");
      if (const Value* inner = v.OptionalValue()) out.push_back(*inner);
      continue;
    }
    out.push_back(std::move(v));
  }
  return Value(std::move(out));
}

Result<Value> Evaluator::MakeMap(const Expr& e) {
  Map out;
  for (const auto& entry : e.entries) {
    Value key = HF_TRY(Eval(*entry.key));
    Value v = HF_TRY(Eval(*entry.value));
    if (!Map::KeyOf(key)) return EvalError("unsupported map key type: " + TypeName(key));
    if (entry.optional) {
      if (v.kind() != K::kOptional)
        return EvalError("no such overload: {?key: " + TypeName(v) + "} (needs an optional)");
      const Value* inner = v.OptionalValue();
      if (inner == nullptr) continue;
      v = Value(*inner);  // a copy first: inner lives inside v
    }
    if (!out.Insert(key, std::move(v))) return EvalError("duplicate map key: " + KeyText(key));
  }
  return Value(std::move(out));
}

Result<Value> Evaluator::Comprehension(const Expr& e) {
  const Value range = HF_TRY(Eval(*e.target));
  if (e.macro == Macro::kOptMap || e.macro == Macro::kOptFlatMap) {
    if (range.kind() != K::kOptional)
      return EvalError("no such overload: " + TypeName(range) + ".optMap()");
    const Value* inner = range.OptionalValue();
    if (inner == nullptr) return Value::OptionalNone();
    Bind bind(locals_, e.name, *inner);
    Value out = HF_TRY(Eval(*e.args[0]));
    if (e.macro == Macro::kOptMap) return Value::OptionalOf(std::move(out));
    if (out.kind() != K::kOptional)
      return EvalError("no such overload: optFlatMap() needs an optional result");
    return out;
  }
  // Lists iterate over elements, maps over keys.
  std::vector<Value> keys;
  const List* items = range.AsList();
  if (items == nullptr) {
    const Map* map = range.AsMap();
    if (map == nullptr) return EvalError("no such overload: " + TypeName(range) + " (macro range)");
    keys.reserve(map->size());
    for (const auto& [k, entry] : *map) keys.push_back(entry.first);
    items = &keys;
  }
  auto predicate = [&](const Expr& body) -> Result<bool> {
    const Value v = HF_TRY(Eval(body));
    if (auto b = v.AsBool()) return *b;
    return EvalError("no such overload: predicate returned " + TypeName(v));
  };
  switch (e.macro) {
    case Macro::kAll:
    case Macro::kExists: {
      // Errors are absorbed by a deciding element, like && and ||.
      const bool decisive = e.macro == Macro::kExists;
      std::optional<Error> error;
      for (const Value& item : *items) {
        Bind bind(locals_, e.name, item);
        auto r = predicate(*e.args[0]);
        if (!r) {
          if (cost_.exhausted()) return std::unexpected(r.error());
          if (!error) error = r.error();
          continue;
        }
        if (*r == decisive) return Value(decisive);
      }
      if (error) return std::unexpected(*error);
      return Value(!decisive);
    }
    case Macro::kExistsOne: {
      int64_t count = 0;
      for (const Value& item : *items) {
        Bind bind(locals_, e.name, item);
        count += HF_TRY(predicate(*e.args[0])) ? 1 : 0;
      }
      return Value(count == 1);
    }
    case Macro::kMap:
    case Macro::kFilter: {
      List out;
      for (const Value& item : *items) {
        Bind bind(locals_, e.name, item);
        if (e.macro == Macro::kFilter) {
          if (HF_TRY(predicate(*e.args[0]))) out.push_back(item);
          continue;
        }
        if (e.args.size() == 2 && !HF_TRY(predicate(*e.args[1]))) continue;
        out.push_back(HF_TRY(Eval(*e.args[0])));
      }
      return Value(std::move(out));
    }
    default:
      return EvalError("internal: unknown macro");
  }
}

}  // namespace hf::expr::detail
