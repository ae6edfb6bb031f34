#pragma once

// The API's reconciliation series (README "Operations"), per resource_type (clusters, nodepools):
//   hyperfleet_api_reconciliation_started_total{resource_type,is_delete}
//       committed creates, spec/label changes and deletes (each starts a reconciliation)
//   hyperfleet_api_reconciliation_duration_seconds{resource_type}
//       from such a create or change (the resource's updated_time) to the report that made it
//       Reconciled=True at that generation
// The backlog gauges (pending, stuck) are read from the store: api/backlog_gauges.hpp.

#include <vector>

#include "common/time.hpp"
#include "model/resource.hpp"
#include "service/kinds.hpp"

namespace hf::service {

// Counts a committed change of `r` that starts a reconciliation.
void CountReconciliationStarted(const Kinds& kinds, const model::Resource& r, bool is_delete);

// Observes the reconciliation of `before` (the resource as a report found it) when `after` (its
// recomputed conditions) is the first Reconciled=True at before.generation; `now` is when that
// report committed. Deletions are not observed (the resource goes away instead).
void ObserveReconciled(const Kinds& kinds, const model::Resource& before,
                       const std::vector<model::Condition>& after, Time now);

}  // namespace hf::service
