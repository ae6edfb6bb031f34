#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/time.hpp"
#include "model/condition.hpp"

namespace hf::model {

// A pointer to another resource, e.g. a nodepool's owning cluster.
struct ObjectRef {
  std::string id;
  std::string kind;
  std::string href;
};

// A declared resource (Cluster, NodePool, …): desired state plus aggregated conditions.
struct Resource {
  std::string id;  // UUIDv7
  std::string kind;
  std::string name;
  std::string href;
  nlohmann::json spec = nlohmann::json::object();
  std::map<std::string, std::string> labels;
  int64_t generation = 1;
  std::optional<ObjectRef> owner;
  std::vector<Condition> conditions;  // in presentation order
  Time created_time{};
  Time updated_time{};
  std::string created_by;
  std::string updated_by;
  std::optional<Time> deleted_time;
  std::optional<std::string> deleted_by;
  // How many events have been emitted for this resource; each event carries its number
  // (OutboxEvent::aggregate_sequence). A read at N has seen every change of events 1..N.
  int64_t event_sequence = 0;

  [[nodiscard]] bool Deleting() const { return deleted_time.has_value(); }
  // The condition of that type, or nullptr.
  [[nodiscard]] const Condition* FindCondition(std::string_view type) const;
};

}  // namespace hf::model
