#pragma once

#include "common/time.hpp"
#include "service/kinds.hpp"
#include "store/store.hpp"

namespace hf::api {

// The reference's reconciliation backlog gauges, read from the store at each scrape, per
// resource_type (clusters, nodepools):
//   hyperfleet_api_resource_pending_reconciliation                 Reconciled=False
//   hyperfleet_api_resource_pending_reconciliation_stuck           ... for longer than
//   `stuck_after` hyperfleet_api_resource_pending_reconciliation_stuck_duration_seconds
//                                                                  the longest such wait (0: none)
// and, from the totals the store keeps on write:
//   hyperfleet_api_resources{reconciled}   by Reconciled status: True, False, Unknown, none
// `store` and `kinds` must outlive the metrics registry's use of them.
void RegisterBacklogGauges(store::Store& store, const service::Kinds& kinds, Duration stuck_after);

}  // namespace hf::api
