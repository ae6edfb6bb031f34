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
  auto& resources = registry.AddGauge(
      "hyperfleet_api_resources",
      "Resources by the status of their Reconciled condition (none: not yet aggregated).",
      {"resource_type", "reconciled"});
  registry.AddCollector([&store, &kinds, stuck_after, &pending, &stuck, &stuck_for, &resources] {
    const Time now = Now();
    auto tx = store.Begin(store::TxMode::kRead);
    if (!tx) return;
    if (auto counts = (*tx)->CountResources()) {
      for (const auto& kind : kinds.all()) {
        for (const char* status : {"True", "False", "Unknown", ""}) {
          int64_t n = 0;
          for (const auto& c : *counts) {
            if (c.kind == kind.name && c.reconciled == status) n = c.count;
          }
          resources.WithLabels({std::string(kind.plural), *status ? status : "none"})
              .Set(static_cast<double>(n));
        }
      }
    }
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
