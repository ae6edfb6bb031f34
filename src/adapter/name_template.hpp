#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace hf::adapter {

// A text with `{{variable}}` placeholders (spaces inside the braces allowed), e.g.
// "dns-{{cluster_id}}-{{generation}}". Plain substitution: no logic, no escaping.
class NameTemplate {
 public:
  NameTemplate() = default;
  // Checks that every placeholder names one of `known` and that each of `required` appears.
  static Result<NameTemplate> Parse(std::string_view text, const std::vector<std::string>& known,
                                    const std::vector<std::string>& required);
  // Substitutes `vars`; a variable missing from `vars` renders empty.
  std::string Render(const std::map<std::string, std::string>& vars) const;
  const std::string& text() const { return text_; }

 private:
  struct Part {
    bool variable = false;
    std::string text;  // literal text, or the variable name
  };
  std::string text_;
  std::vector<Part> parts_;
};

}  // namespace hf::adapter
