#pragma once

// What a `search` query means, as a tree of typed terms with no SQL in it: search::ParseSearch
// (search/search.hpp) builds it from user text, checking every name and value; the store
// compiles it to SQL for its dialect.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/time.hpp"

namespace hf::search {

enum class CompareOp {
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kIn,
  kBetween,
  kIsNull,
  kIsNotNull,
  kLike,
  kILike
};

// The operator as a user writes it ("=", "in", "is not null"), for messages.
std::string_view ToString(CompareOp op);

// True for = != < <= > >=.
inline bool IsOrdering(CompareOp op) { return op <= CompareOp::kGe; }

// A value to compare with, typed by what it is compared to.
using Value = std::variant<std::string, int64_t, double, Time>;

// `<op> <values>`: one value for = != < <= > >= like ilike, two (low, high) for between, one or
// more for in, none for is [not] null. A like/ilike value is a string pattern: `%` matches any
// run of characters, `_` any one, and '\' makes the next character literal (a pattern never ends
// in an unpaired '\'). like is case-sensitive; ilike folds case.
struct Comparison {
  CompareOp op = CompareOp::kEq;
  std::vector<Value> values;
};

// A plain column of resources, named as in search::ParseOrder's allow-list (id, kind, name, …).
// Text columns take strings, generation takes int64 values and the *_time columns Time values.
struct ColumnTerm {
  std::string column;
  Comparison comparison;
};

// The resource's label `key` ([A-Za-z0-9._/-]+), with string values. `is null` matches
// resources without that label and `is not null` those with it; every other operator matches
// only resources that have it.
struct LabelTerm {
  std::string key;
  Comparison comparison;
};

// The JSON value at `path` (segments [a-z0-9_]+) in the resource's spec; a missing path is null.
// Compared as a number when the values are numbers (int64, double), as text when they are
// strings.
struct SpecTerm {
  std::vector<std::string> path;
  Comparison comparison;
};

// The resource has a condition of `type` ([A-Z][A-Za-z0-9]*) whose status is `status` (True,
// False or Unknown).
struct ConditionStatusTerm {
  std::string type;
  std::string status;
};

// The resource has a condition of `type` whose `field` compares: last_updated_time and
// last_transition_time take Time values, observed_generation int64 values in int32 range. The
// operator is = != < <= > or >=.
struct ConditionFieldTerm {
  std::string type;
  std::string field;
  Comparison comparison;
};

using Term = std::variant<ColumnTerm, LabelTerm, SpecTerm, ConditionStatusTerm, ConditionFieldTerm>;

// A node of the tree: a term (kTerm), all of two or more operands (kAnd), any of two or more
// (kOr), or the negation of one (kNot). A kNot never has a label or condition term below it.
struct Filter {
  enum class Kind { kTerm, kAnd, kOr, kNot };
  Kind kind = Kind::kTerm;
  Term term{};                     // kTerm
  std::vector<Filter> operands{};  // kAnd, kOr, kNot
};

}  // namespace hf::search
