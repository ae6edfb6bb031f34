#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "adapter/field_path.hpp"
#include "common/result.hpp"

namespace hf::adapter {

enum class Operator {
  kEquals,     // the value, as text (numbers compare numerically)
  kNotEquals,  // true when the field is missing
  kIn,         // one of a list
  kNotIn,      // none of a list; true when the field is missing
  kExists,     // present and not null
  kNotExists,
  kContains,     // substring of a string, element of an array, key of an object
  kGreaterThan,  // numeric
  kLessThan,     // numeric
};

// One `{field, operator, value}` check over the fetched resource JSON.
struct Precondition {
  FieldPath field;
  Operator op = Operator::kEquals;
  nlohmann::json value;  // a string, or an array of strings for in/notIn; null for (not)exists
  // Instead of `value`: compare with another field of the same resource, read at evaluation
  // time (e.g. `generation`, so a dependency's condition counts only at the current one).
  std::optional<FieldPath> value_from;
};

// Builds a precondition from config values: `value` is a string or array of strings (YAML
// scalars as text). Checks that the operator is known and the value fits it (a list for
// in/notIn, a number for greaterThan/lessThan, nothing for exists/notExists). A non-empty
// `value_from` (a field path) replaces `value` for the single-value operators. Errors are
// kInvalidArgument without a location; the caller adds it.
Result<Precondition> MakePrecondition(std::string_view field, std::string_view op,
                                      nlohmann::json value, std::string_view value_from = {});

struct PreconditionOutcome {
  bool met = true;
  std::string message;  // the unmet checks, e.g. `spec.region is "eu" (want equals "us")`
};

// ANDs all checks; the message lists every unmet one, separated by "; ".
PreconditionOutcome Evaluate(const std::vector<Precondition>& checks, const nlohmann::json& doc);

// True when any check reads the resource's `status` (its field or its value_from).
bool ReadsStatus(const std::vector<Precondition>& checks);

}  // namespace hf::adapter
