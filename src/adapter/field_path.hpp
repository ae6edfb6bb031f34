#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace hf::adapter {

// A path into a JSON document, dot-separated:
//   spec.region                              object keys
//   labels["app.kubernetes.io/name"]         a quoted key (may hold dots)
//   status.conditions[type=Reconciled].status  the first array element whose `type` is "Reconciled"
//   spec.nodes[0].name                       an array index
class FieldPath {
 public:
  // Errors (kInvalidArgument) say what is wrong and where.
  static Result<FieldPath> Parse(std::string_view text);

  // The value at the path, or nullptr if any step is missing or of the wrong type.
  const nlohmann::json* Find(const nlohmann::json& root) const;
  const std::string& text() const { return text_; }

 private:
  struct Step {
    enum class Kind { kKey, kIndex, kMatch } kind = Kind::kKey;
    std::string key;          // kKey: the key; kMatch: the element field to compare
    size_t index = 0;         // kIndex
    std::string match_value;  // kMatch
  };
  std::string text_;
  std::vector<Step> steps_;
};

// A JSON scalar as text: strings as they are, true/false, numbers as JSON writes them.
std::string ScalarText(const nlohmann::json& value);

}  // namespace hf::adapter
