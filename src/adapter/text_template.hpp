#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "expr/expr.hpp"

namespace hf::adapter {

// A text with `{{ CEL }}` placeholders: "dns-{{cluster_id}}-{{generation}}",
// "/clusters/{{ resource.owner_references.id }}/statuses". Each placeholder is compiled once, at
// Parse, and must evaluate to a string, int, uint, double or bool, rendered as text.
class TextTemplate {
 public:
  TextTemplate() = default;
  // Errors: kInvalidArgument "column C: <problem>", C the 1-based column in `text` (an unclosed
  // "{{", an empty placeholder, an expression that does not compile).
  static Result<TextTemplate> Parse(std::string_view text);

  // Renders over `vars`. `escape` (when set) is applied to each substituted value, e.g. URL
  // encoding for a request path. Errors: kInvalidArgument "{{ <expr> }}: <problem>" (the
  // evaluation failed or gave a value that is not text).
  Result<std::string> Render(const expr::Activation& vars,
                             std::string (*escape)(std::string_view) = nullptr) const;

  // Renders as a value: a text that is exactly one placeholder ("{{ params_replicas }}") gives
  // the expression's value as JSON, whatever its type (an int stays an int, a map a map); any
  // other text renders as Render does. Errors as Render's.
  Result<nlohmann::json> RenderValue(const expr::Activation& vars) const;

  // The free variables of all placeholders.
  std::set<std::string> variables() const;
  const std::string& text() const { return text_; }

 private:
  struct Part {
    std::string literal;                 // text before the placeholder (or all of it, last part)
    std::optional<expr::Program> value;  // the placeholder; none for the trailing literal
  };
  std::string text_;
  std::vector<Part> parts_;
};

// A value as template text: strings as they are, numbers and bools as CEL prints them. Errors
// name the type for anything else.
Result<std::string> ValueText(const expr::Value& value);

}  // namespace hf::adapter
