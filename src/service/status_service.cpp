#include "service/status_service.hpp"

#include <set>

#include "service/aggregation.hpp"
#include "service/outbox_events.hpp"
#include "service/reconciliation_metrics.hpp"

namespace hf::service {
namespace {

constexpr auto kMaxFuture = std::chrono::minutes(5);
constexpr auto kMaxPast = std::chrono::minutes(30);

using model::condition_status::kFalse;
using model::condition_status::kTrue;
using model::condition_status::kUnknown;
using model::condition_type::kApplied;
using model::condition_type::kAvailable;
using model::condition_type::kFinalized;
using model::condition_type::kHealth;

std::string AvailableStatus(const model::AdapterStatus* s) {
  const auto* c = s ? s->Find(kAvailable) : nullptr;
  return c ? c->status : std::string(kFalse);
}

bool FinalizedTrue(const model::AdapterStatus& s) {
  const auto* c = s.Find(kFinalized);
  return c && c->status == kTrue;
}

// "[a, b]", in config order.
std::string NameList(const std::vector<std::string>& names) {
  std::string out = "[";
  for (const auto& name : names) out += (out.size() > 1 ? ", " : "") + name;
  return out + "]";
}

}  // namespace

Result<void> ValidateReport(const StatusReport& report, Time now) {
  auto invalid = [](std::string msg) { return Fail(ErrorCode::kInvalidArgument, std::move(msg)); };
  if (report.adapter.empty()) return invalid("adapter is required");
  if (!model::IsAdapterName(report.adapter)) {
    const bool long_name = report.adapter.size() > 63;
    return invalid("adapter " +
                   (long_name ? std::string("name is longer than 63 characters")
                              : "'" + report.adapter + "' is not an adapter name") +
                   ": 1-63 lower-case letters, digits and '-', starting and ending with a letter "
                   "or digit (" +
                   std::string(model::kAdapterNamePattern) + ")");
  }
  if (report.observed_generation < 1) return invalid("observed_generation must be >= 1");
  std::set<std::string> seen;
  for (size_t i = 0; i < report.conditions.size(); ++i) {
    const auto& c = report.conditions[i];
    std::string index = std::to_string(i);
    if (c.type.empty()) return invalid("condition type cannot be empty at index " + index);
    if (!seen.insert(c.type).second) {
      return invalid("duplicate condition type '" + c.type + "' at index " + index);
    }
    if (!model::condition_status::Valid(c.status)) {
      return invalid("invalid status value '" + c.status + "' for condition at index " + index +
                     " (type: " + c.type + "): must be 'True', 'False', or 'Unknown'");
    }
  }
  if (report.observed_time) {
    if (*report.observed_time > now + kMaxFuture) {
      return invalid("observed_time must not be more than 5m0s in the future");
    }
    if (*report.observed_time < now - kMaxPast) {
      return invalid("observed_time must not be more than 30m0s in the past");
    }
  }
  return {};
}

Result<std::optional<model::AdapterStatus>> StatusService::Report(const Scope& scope,
                                                                  const std::string& id,
                                                                  StatusReport report,
                                                                  const Caller& caller) {
  Time now = Now();
  HF_CHECK(ValidateReport(report, now));
  const KindDescriptor& kind = *scope.kind;
  if (!kind.MayReport(report.adapter)) {
    return Fail(ErrorCode::kInvalidArgument,
                "adapter '" + report.adapter + "' may not report on " + std::string(kind.plural) +
                    ": the adapters that may are " + NameList(kind.required_adapters) +
                    " (required) and " + NameList(kind.optional_adapters) + " (optional)");
  }
  Time observed = report.observed_time.value_or(now);

  auto tx = HF_TRY(store_.Begin(store::TxMode::kWrite));
  // Only the status rows the rules below need: this adapter's and the required adapters'.
  auto [r, statuses] = HF_TRY(
      LoadInScope(*tx, scope, id, store::Lock::kForUpdate, kind.AdaptersToRead(report.adapter)));
  model::AdapterStatus* existing = nullptr;
  for (auto& s : statuses) {
    if (s.adapter == report.adapter) existing = &s;
  }

  // Stale or out-of-order reports are discarded without a write.
  if (report.observed_generation > r.generation) return std::nullopt;
  if (existing && report.observed_generation < existing->observed_generation) return std::nullopt;
  if (existing && report.observed_generation == existing->observed_generation &&
      observed < existing->last_report_time) {
    return std::nullopt;
  }
  model::AdapterStatus incoming;
  incoming.conditions = report.conditions;
  for (std::string_view mandatory : {kAvailable, kApplied, kHealth}) {
    if (!incoming.Find(mandatory)) {
      return Fail(ErrorCode::kInvalidArgument,
                  "missing mandatory condition '" + std::string(mandatory) +
                      "': all adapters must report Available, Applied, and Health");
    }
  }
  const std::string available = incoming.Find(kAvailable)->status;
  if (available == kUnknown && existing) return std::nullopt;

  const std::string previous_available = AvailableStatus(existing);
  model::AdapterStatus stored;
  stored.resource_type = r.kind;
  stored.resource_id = r.id;
  stored.adapter = report.adapter;
  stored.observed_generation = report.observed_generation;
  stored.conditions = std::move(report.conditions);
  for (auto& c : stored.conditions) {
    const model::AdapterCondition* prev = existing ? existing->Find(c.type) : nullptr;
    c.last_transition_time =
        prev && prev->status == c.status ? prev->last_transition_time : observed;
  }
  stored.data = report.data.value_or(nlohmann::json::object());
  stored.metadata =
      report.metadata ? report.metadata : (existing ? existing->metadata : std::nullopt);
  stored.created_time = existing ? existing->created_time : observed;
  stored.last_report_time = observed;
  HF_CHECK(tx->UpsertAdapterStatus(stored));
  if (existing) {
    *existing = stored;
  } else {
    statuses.push_back(stored);
  }

  const auto& required = kind.required_adapters;
  if (r.Deleting() && FinalizedTrue(stored)) {
    bool all_finalized = !required.empty();
    for (const auto& name : required) {
      auto it = std::find_if(statuses.begin(), statuses.end(),
                             [&](const auto& s) { return s.adapter == name; });
      if (it == statuses.end() || it->observed_generation != r.generation || !FinalizedTrue(*it)) {
        all_finalized = false;
      }
    }
    if (all_finalized && !HF_TRY(tx->HasChildren(r.id))) {
      HF_CHECK(tx->DeleteResource(r.id));
      HF_CHECK(AfterChildRemoved(*tx, kinds_, r, caller));
      HF_CHECK(tx->Commit());
      return stored;
    }
  }
  std::vector<model::Condition> conditions = r.conditions;
  if (available != kUnknown) {
    const bool children = r.Deleting() && HF_TRY(tx->HasChildren(r.id));
    conditions = Aggregate({r, required, statuses, children});
    if (conditions != r.conditions) HF_CHECK(tx->ReplaceConditions(r.id, conditions));
    if (available != previous_available) {
      HF_TRY(AppendEvent(*tx, r, std::string(model::kStatusChangedReason), caller.traceparent,
                         stored.adapter));
    }
  }
  HF_CHECK(tx->Commit());
  ObserveReconciled(kinds_, r, conditions, Now());
  return stored;
}

Result<store::Page<model::AdapterStatus>> StatusService::List(const Scope& scope,
                                                              const std::string& id, int64_t page,
                                                              int64_t size) {
  auto tx = HF_TRY(store_.Begin(store::TxMode::kRead));
  auto r = HF_TRY(LoadInScope(*tx, scope, id, store::Lock::kNone));
  return tx->ListAdapterStatuses(r.id, (page - 1) * size, size);
}

}  // namespace hf::service
