#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "common/result.hpp"

namespace hf {

// Parses JSON from outside strictly, so every store sees the same value and every database gives
// the same answer. Refused, each naming where (a field path like "spec.a[2].b" in the one
// violation):
//   - text that is not JSON, including invalid UTF-8 and numbers beyond a double (1e400):
//     kMalformed with the parser's reason ("parse error at line 1, column 2: …");
//   - an object with the same key twice: kInvalidArgument, constraint "unique";
//   - U+0000 in any string or key (PostgreSQL cannot store it in text or jsonb):
//     kInvalidArgument, constraint "format";
//   - an integer literal outside int64 (it would otherwise be rounded to a double):
//     kInvalidArgument, constraint "min" or "max". Numbers with a fraction or exponent are
//     doubles, as JSON Schema's `number`.
// Does not bound nesting: check JsonNestedDeeperThan first.
Result<nlohmann::json> ParseStrictJson(std::string_view text);

}  // namespace hf
