#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/time.hpp"

namespace hf::cli {

// Human views of API JSON (as the API presents it). Pure: `now` is passed in for ages.
// Missing or mistyped fields render as "" (or "-"), never throw.

// kubectl-style age: "0s".."59s", "1m".."59m", "1h".."47h", then days ("3d"). Negative → "0s".
[[nodiscard]] std::string FormatAge(Duration age);
// The age of an RFC 3339 time field, or "" when absent or unparsable.
[[nodiscard]] std::string AgeOf(const nlohmann::json& time, Time now);

// The condition of `type` in resource.status.conditions, or null.
[[nodiscard]] nlohmann::json FindCondition(const nlohmann::json& resource, std::string_view type);

// A list page {items,page,size,total} as a table: ID, NAME, GENERATION, RECONCILED, AGE (plus
// CLUSTER for nodepools when `with_cluster`), and a footer when more pages exist. An empty
// page renders "No <plural> found.".
[[nodiscard]] std::string RenderResourceList(const nlohmann::json& page, std::string_view plural,
                                             bool with_cluster, Time now);

// One resource: a short summary (id, name, kind, cluster, generation, labels, spec, times)
// then its conditions as a table (TYPE, STATUS, GENERATION, REASON, MESSAGE, AGE).
[[nodiscard]] std::string RenderResource(const nlohmann::json& resource, Time now);

// An adapter status page as a table: one row per adapter condition (ADAPTER, GENERATION,
// CONDITION, STATUS, REASON, MESSAGE, REPORTED). No items → "No adapter has reported yet.".
[[nodiscard]] std::string RenderStatuses(const nlohmann::json& page, Time now);

}  // namespace hf::cli
