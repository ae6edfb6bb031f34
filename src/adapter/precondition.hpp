#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "adapter/field_path.hpp"
#include "common/result.hpp"
#include "expr/expr.hpp"

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

// One check before the job: a structured `{field, operator, value}` over the fetched resource
// JSON, or (when `expression` is set) a CEL boolean over the resource, the event and the params.
struct Precondition {
  std::string name;  // required with `expression`; optional (for messages) otherwise
  std::optional<expr::Program> expression;
  // The structured form:
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

// What one check came to.
struct CheckResult {
  std::string name;  // the check's name, or its field path
  bool met = false;
  nlohmann::json value;  // the expression's value, or the field's (null when missing)
  std::string message;   // when not met: e.g. `spec.region is "eu" (want equals "us")`,
                         // `dns-ready is false`
};

struct PreconditionOutcome {
  bool met = true;
  std::string message;  // the unmet checks' messages, separated by "; "
  std::vector<CheckResult> checks;
};

// ANDs all checks (every one is evaluated, so the message lists all that are unmet). `doc` is the
// resource for the structured form; `vars` are the expressions' variables. Errors
// (kInvalidArgument "precondition '<name>': <problem>"): an expression failed to evaluate or gave
// something other than a bool.
Result<PreconditionOutcome> Evaluate(const std::vector<Precondition>& checks,
                                     const nlohmann::json& doc, const expr::Activation& vars = {});

// True when any check reads the resource's `status` (a structured field or value_from under it,
// an expression that names `status`).
bool ReadsStatus(const std::vector<Precondition>& checks);

}  // namespace hf::adapter
