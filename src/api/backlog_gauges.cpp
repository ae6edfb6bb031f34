#include "api/backlog_gauges.hpp"

#include "common/metrics.hpp"

namespace hf::api {

void RegisterBacklogGauges(store::Store& store, const service::Kinds& kinds, Duration stuck_after) {
  auto& registry = metrics::Registry::Default();
  auto& pending =
      registry.AddGauge("hyperfleet_api_resource_pending_reconciliation",
                        "Resources whose Reconciled condition is False.", {"resource_type"});
  auto& stuck = registry.AddGauge("hyperfleet_api_resource_pending_reconciliation_stuck",
                                  "Resources not reconciled for longer than the stuck threshold.",
                                  {"resource_type"});
  auto& stuck_for = registry.AddGauge(
      "hyperfleet_api_resource_pending_reconciliation_stuck_duration_seconds",
      "How long the longest-waiting stuck resource has not been reconciled (0: none).",
      {"resource_type"});
  registry.AddCollector([&store, &kinds, stuck_after, &pending, &stuck, &stuck_for] {
    const Time now = Now();
    auto tx = store.Begin(store::TxMode::kRead);
    if (!tx) return;
    auto backlog = (*tx)->GetReconcileBacklog(now - stuck_after);
    if (!backlog) return;
    for (const auto& kind : kinds.all()) {
      store::ReconcileBacklog b;
      for (const auto& row : *backlog) {
        if (row.kind == kind.name) b = row;
      }
      const std::string plural(kind.plural);
      pending.WithLabels({plural}).Set(static_cast<double>(b.pending));
      stuck.WithLabels({plural}).Set(static_cast<double>(b.stuck));
      stuck_for.WithLabels({plural}).Set(
          b.stuck > 0 && b.oldest ? std::chrono::duration<double>(now - *b.oldest).count() : 0);
    }
  });
}

}  // namespace hf::api
