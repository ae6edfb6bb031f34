#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "adapter/text_template.hpp"
#include "common/result.hpp"
#include "expr/expr.hpp"

namespace hf::adapter {

// A Kubernetes manifest whose string values may hold `{{ CEL }}` placeholders (TextTemplate):
//   metadata: {name: "cluster-{{ cluster_id }}"}
//   spec: {replicas: "{{ params_replicas }}"}
// A value that is exactly one placeholder takes the expression's value and type (replicas above
// becomes an int); any other string with placeholders renders as text. Map keys are literal.
// apiVersion and kind must be literal strings (they say which API the object is applied to and
// where the adapter finds its objects again when it cleans up).
class ManifestTemplate {
 public:
  ManifestTemplate() = default;
  // Errors: kInvalidArgument "<field path>: <problem>" (e.g. "spec.replicas: column 4: ..."),
  // or "apiVersion: ..."/"kind: ..." when missing or templated, or "(top level): must be a
  // mapping".
  static Result<ManifestTemplate> Parse(nlohmann::json manifest);

  // The manifest with every placeholder evaluated over `vars`. Errors: kInvalidArgument
  // "<field path>: {{ <expr> }}: <problem>".
  Result<nlohmann::json> Render(const expr::Activation& vars) const;

  std::set<std::string> variables() const;  // of every placeholder
  const std::string& api_version() const { return api_version_; }
  const std::string& kind() const { return kind_; }

 private:
  nlohmann::json manifest_;
  std::string api_version_;
  std::string kind_;
  // The placeholders' strings: JSON pointer and field path ("spec.replicas") of each.
  struct Slot {
    nlohmann::json::json_pointer pointer;
    std::string path;
    TextTemplate text;
  };
  std::vector<Slot> slots_;
};

}  // namespace hf::adapter
