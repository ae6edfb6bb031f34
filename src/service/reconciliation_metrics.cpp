#include "service/reconciliation_metrics.hpp"

#include "common/metrics.hpp"
#include "model/condition.hpp"

namespace hf::service {
namespace {

std::string ResourceType(const Kinds& kinds, const model::Resource& r) {
  const KindDescriptor* kind = kinds.ByKind(r.kind);
  return kind ? std::string(kind->plural) : r.kind;
}

bool ReconciledAt(const std::vector<model::Condition>& conditions, int64_t generation) {
  for (const auto& c : conditions) {
    if (c.type == model::condition_type::kReconciled) {
      return c.status == model::condition_status::kTrue && c.observed_generation == generation;
    }
  }
  return false;
}

}  // namespace

void CountReconciliationStarted(const Kinds& kinds, const model::Resource& r, bool is_delete) {
  static auto& started = metrics::Registry::Default().AddCounter(
      "hyperfleet_api_reconciliation_started_total",
      "Committed creates, spec/label changes and deletes (each starts a reconciliation).",
      {"resource_type", "is_delete"});
  started.WithLabels({ResourceType(kinds, r), is_delete ? "true" : "false"}).Inc();
}

void ObserveReconciled(const Kinds& kinds, const model::Resource& before,
                       const std::vector<model::Condition>& after, Time now) {
  // Seconds to hours: adapters run jobs, which take seconds to many minutes.
  static auto& duration = metrics::Registry::Default().AddHistogram(
      "hyperfleet_api_reconciliation_duration_seconds",
      "Time from a create or spec/label change to Reconciled=True at that generation.",
      {"resource_type"}, {1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600});
  if (before.Deleting() || ReconciledAt(before.conditions, before.generation) ||
      !ReconciledAt(after, before.generation)) {
    return;
  }
  duration.WithLabels({ResourceType(kinds, before)})
      .Observe(std::max(0.0, std::chrono::duration<double>(now - before.updated_time).count()));
}

}  // namespace hf::service
