#pragma once

// The parsed form of an expression: a tree of nodes, macros already expanded.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "expr/value.hpp"

namespace hf::expr::detail {

struct Expr;
using ExprPtr = std::unique_ptr<const Expr>;

// The operators, resolved at parse time (calls by name use kNone).
enum class Op {
  kNone,
  kAnd,
  kOr,
  kNot,
  kNegate,
  kConditional,
  kEqual,
  kNotEqual,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual,
  kIn,
  kAdd,
  kSubtract,
  kMultiply,
  kDivide,
  kModulo,
  kIndex,          // a[b]
  kOptionalIndex,  // a[?b]
};

// The macros, expanded into a kComprehension node.
enum class Macro {
  kAll,        // range.all(var, args[0])
  kExists,     // range.exists(var, args[0])
  kExistsOne,  // range.exists_one(var, args[0])
  kMap,        // range.map(var, args[0]) or range.map(var, args[1] /*filter*/, args[0])
  kFilter,     // range.filter(var, args[0])
  kOptMap,     // optional.optMap(var, args[0])
  kOptFlatMap  // optional.optFlatMap(var, args[0])
};

struct Expr {
  enum class Kind { kLiteral, kIdent, kSelect, kCall, kList, kMap, kComprehension };

  Kind kind = Kind::kLiteral;
  size_t offset = 0;  // where the node starts in the source (bytes)
  int height = 1;     // 1 + the height of the tallest child

  Value literal;  // kLiteral

  // kIdent: the name. kSelect: the field. kCall: the function (no receiver: "size", "int",
  // "optional.of"; with one: "contains"). kComprehension: the iteration variable.
  std::string name;
  // kSelect over identifiers only: the dotted name ("a.b.c"), tried as a variable first.
  std::string qualified;
  bool test_only = false;  // kSelect: has(a.b)
  bool optional = false;   // kSelect: a.?b
  Op op = Op::kNone;       // kCall: the operator, if it is one
  Macro macro = Macro::kAll;

  // kSelect: the operand. kCall: the receiver (nullptr for a global call). kComprehension: the
  // range.
  ExprPtr target;
  // kCall: the arguments. kList: the elements. kComprehension: the body (see Macro).
  std::vector<ExprPtr> args;
  // kList: which elements are optional ([?x]); empty when none are.
  std::vector<bool> optional_elements;

  struct Entry {
    ExprPtr key;
    ExprPtr value;
    bool optional = false;  // {?key: value}
  };
  std::vector<Entry> entries;  // kMap
};

// Sets e.height from its children.
inline void UpdateHeight(Expr& e) {
  int h = 0;
  auto see = [&](const ExprPtr& c) {
    if (c && c->height > h) h = c->height;
  };
  see(e.target);
  for (const auto& a : e.args) see(a);
  for (const auto& en : e.entries) {
    see(en.key);
    see(en.value);
  }
  e.height = h + 1;
}

}  // namespace hf::expr::detail
