#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace hf::cli {

// Repeated `--label key=value` flags as a JSON object of strings. The first '=' splits; the
// value may be empty, the key may not; a repeated key keeps its last value. No flags → {}.
// Error (kInvalidArgument): "invalid --label 'x': expected key=value".
[[nodiscard]] Result<nlohmann::json> ParseLabels(const std::vector<std::string>& flags);

// A `--spec` value: inline JSON, or "@FILE" naming a file that holds it. It must be a JSON
// object. Errors (kInvalidArgument) are one line: unreadable file (naming it), invalid JSON
// (with the parser's position), or not an object.
[[nodiscard]] Result<nlohmann::json> ParseSpec(std::string_view value);

}  // namespace hf::cli
