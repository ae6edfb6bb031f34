#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.hpp"

namespace hf::model {

// What every adapter name looks like, wherever it appears (an adapter's config, the API's
// required and optional adapter settings, a status report, a token's adapter claim): a DNS label,
// so that it is safe in a Kubernetes object name, a metric label and a log line.
inline constexpr std::string_view kAdapterNamePattern = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";

// Whether `name` matches kAdapterNamePattern: 1-63 lower-case letters, digits and '-', starting
// and ending with a letter or digit.
[[nodiscard]] inline bool IsAdapterName(std::string_view name) {
  if (name.empty() || name.size() > 63 || name.front() == '-' || name.back() == '-') return false;
  for (const char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// One condition as an adapter reports it (status "True", "False" or "Unknown").
struct AdapterCondition {
  std::string type;
  std::string status;
  std::string reason;
  std::string message;
  Time last_transition_time{};

  bool operator==(const AdapterCondition&) const = default;
};

// The latest accepted report of one adapter about one resource (one row per adapter).
struct AdapterStatus {
  std::string resource_type;  // the kind: "Cluster", "NodePool"
  std::string resource_id;
  std::string adapter;
  int64_t observed_generation = 0;
  std::vector<AdapterCondition> conditions;
  nlohmann::json data = nlohmann::json::object();
  std::optional<nlohmann::json> metadata;
  Time created_time{};      // observed_time of the first accepted report
  Time last_report_time{};  // observed_time of the latest accepted report

  // The condition of that type, or nullptr.
  [[nodiscard]] const AdapterCondition* Find(std::string_view type) const {
    for (const auto& c : conditions) {
      if (c.type == type) return &c;
    }
    return nullptr;
  }
};

}  // namespace hf::model
