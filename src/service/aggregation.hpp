#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/adapter_status.hpp"
#include "model/condition.hpp"
#include "model/resource.hpp"

namespace hf::service {

// Everything the aggregation needs; all references are borrowed for the duration of the call.
struct AggregationInput {
  // generation, updated_time (the reference time "RefTime"), deleted_time and the PREVIOUS
  // status.conditions (resource.conditions).
  const model::Resource& resource;
  // The kind's required adapters, in config order.
  const std::vector<std::string>& required_adapters;
  // The rows of the required adapters, in any order; other rows may be present and are ignored
  // (callers read only the required adapters' rows: store::Tx::GetAdapterStatuses).
  const std::vector<model::AdapterStatus>& statuses;
  // Only consulted while deleting: true when active (not soft-deleted) children remain.
  bool has_active_children = false;
};

// Computes the resource's status.conditions after a change (reference-api §8.2).
//
// Returns Reconciled, LastKnownReconciled, then one <Adapter>Successful condition per required
// adapter that has reported, in required_adapters order; empty when there are no required
// adapters. Previous conditions not produced now (e.g. of an adapter no longer required) are
// dropped. Deterministic: times come only from the inputs (RefTime and the adapters'
// last_report_time), never from the wall clock, so equal inputs give equal outputs.
//
// Only rows of required adapters with observed_generation <= resource.generation and an
// Available condition of True or False take part; Unknown and missing Available are ignored.
[[nodiscard]] std::vector<model::Condition> Aggregate(const AggregationInput& in);

}  // namespace hf::service
