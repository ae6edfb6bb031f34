#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/time.hpp"

namespace hf::model {

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
