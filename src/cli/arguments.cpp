#include "cli/arguments.hpp"

#include <cerrno>
#include <cstring>

#include "cli/table.hpp"
#include "common/file.hpp"
#include "common/json_depth.hpp"
#include "common/text.hpp"

namespace hf::cli {

Result<nlohmann::json> ParseLabels(const std::vector<std::string>& flags) {
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& flag : flags) {
    size_t eq = flag.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Fail(ErrorCode::kInvalidArgument,
                  "invalid --label '" + flag + "': expected key=value");
    }
    labels[flag.substr(0, eq)] = flag.substr(eq + 1);
  }
  return labels;
}

Result<nlohmann::json> ParseSpec(std::string_view value) {
  std::string text(value);
  std::string source = "--spec";
  if (value.starts_with('@')) {
    std::string path(value.substr(1));
    auto content = path.empty() ? std::nullopt : ReadFile(path);
    if (!content) {
      return Fail(ErrorCode::kInvalidArgument,
                  "cannot read --spec file '" + path + "': " + std::strerror(errno));
    }
    text = std::move(*content);
    source = "--spec file '" + path + "'";
  }
  if (JsonNestedDeeperThan(text)) {
    return Fail(ErrorCode::kInvalidArgument,
                source + " nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  try {
    nlohmann::json spec = nlohmann::json::parse(text);
    if (!spec.is_object()) {
      return Fail(ErrorCode::kInvalidArgument,
                  source + " must be a JSON object, got " + std::string(spec.type_name()));
    }
    return spec;
  } catch (const nlohmann::json::parse_error& e) {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: …" → keep the tail.
    if (size_t at = what.find("parse error"); at != std::string::npos) what = what.substr(at);
    return Fail(ErrorCode::kInvalidArgument, source + " is not valid JSON: " + OneLine(what));
  }
}

}  // namespace hf::cli
