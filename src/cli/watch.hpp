#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/time.hpp"

namespace hf::cli {

// Pure pieces of `watch`: what is observed at one poll, what changed since the last one, and
// whether (or why not) the resource is reconciled.

// One condition as the watch shows it.
struct ObservedCondition {
  std::string adapter;  // "" for the resource's own Reconciled condition
  std::string type;
  std::string status;
  std::string reason;
  std::string message;
  int64_t generation = 0;  // the adapter's observed_generation, or the condition's

  bool operator==(const ObservedCondition&) const = default;
};

// Keyed "adapter/Type" for adapter conditions and "Type" for the resource's Reconciled.
using Snapshot = std::map<std::string, ObservedCondition>;

// Every condition of every adapter in `statuses` (a list page {items:[…]}) plus the resource's
// Reconciled condition. Malformed entries are skipped.
[[nodiscard]] Snapshot TakeSnapshot(const nlohmann::json& resource, const nlohmann::json& statuses);

// The conditions of `after` that are new or differ from `before` (status, reason, message or
// generation), adapter conditions first (by key), the resource's Reconciled last. Conditions
// that vanished are not reported.
[[nodiscard]] std::vector<ObservedCondition> Changes(const Snapshot& before, const Snapshot& after);

// One line (no '\n') for a change seen at `at`:
//   "12:00:01  validation/Available   True    gen 1  JobSucceeded  validation passed"
[[nodiscard]] std::string FormatChange(const ObservedCondition& change, Time at);
// The same change as one JSON object (for `-o json`, one object per line).
[[nodiscard]] nlohmann::json ChangeJson(const ObservedCondition& change, Time at);

// True when the resource's Reconciled condition is True at its current generation.
[[nodiscard]] bool IsReconciled(const nlohmann::json& resource);

// Why the resource is not reconciled yet, one line: the Reconciled condition's status, reason
// and message, then each adapter whose Available is not True at the current generation, e.g.
// "Reconciled=False at generation 1 (ReconciledMissingAdapters: …); dns: Available=False at
// generation 1 (PreconditionsNotMet: placement first)".
[[nodiscard]] std::string DescribeMissing(const nlohmann::json& resource,
                                          const nlohmann::json& statuses);

}  // namespace hf::cli
