#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "model/adapter_status.hpp"
#include "service/caller.hpp"
#include "service/kinds.hpp"
#include "service/resource_service.hpp"
#include "store/store.hpp"

namespace hf::service {

// An adapter's report about one resource, as received (PUT/POST …/statuses).
struct StatusReport {
  std::string adapter;
  int64_t observed_generation = 0;
  std::optional<Time> observed_time;                // now when absent
  std::vector<model::AdapterCondition> conditions;  // type, status, reason, message
  std::optional<nlohmann::json> metadata;
  std::optional<nlohmann::json> data;
};

// Checks the report's own fields (adapter a name of model::kAdapterNamePattern, generation,
// condition types and statuses, and that observed_time is at most 5 min ahead of / 30 min behind
// `now`).
Result<void> ValidateReport(const StatusReport& report, Time now);

// Accepts adapter reports, folds them into the resource's conditions, and hard-deletes a
// deleting resource once every required adapter reports Finalized=True and it has no children
// left; then its deleting parent is told (`status_changed`), or, when the parent's kind has no
// required adapters and this was its last child, removed too. Thread-safe.
class StatusService {
 public:
  StatusService(store::Store& store, const Kinds& kinds) : store_(store), kinds_(kinds) {}

  // The stored status (201), or nullopt when the report is stale or redundant and was discarded
  // (204). A change of the adapter's Available status appends a `status_changed` event.
  // InvalidArgument (before any read) when the kind neither requires the adapter nor lists it as
  // optional. Reads only the adapter's own row and the required adapters' rows, so other
  // adapters' reports do not slow it down; writes only the adapter's row and the conditions.
  Result<std::optional<model::AdapterStatus>> Report(const Scope& scope, const std::string& id,
                                                     StatusReport report, const Caller& caller);
  Result<store::Page<model::AdapterStatus>> List(const Scope& scope, const std::string& id,
                                                 int64_t page, int64_t size);

 private:
  store::Store& store_;
  const Kinds& kinds_;
};

}  // namespace hf::service
