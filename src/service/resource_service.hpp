#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "model/resource.hpp"
#include "service/caller.hpp"
#include "service/kinds.hpp"
#include "service/limits.hpp"
#include "store/store.hpp"

namespace hf::service {

struct CreateInput {
  std::string name;
  nlohmann::json spec = nlohmann::json::object();
  std::map<std::string, std::string> labels;
};

// A PATCH: each present field replaces the stored one (no merge).
struct PatchInput {
  std::optional<nlohmann::json> spec;
  std::optional<std::map<std::string, std::string>> labels;
};

struct ListInput {
  std::string search;
  std::vector<std::string> order;  // raw `order` values
  int64_t page = 1;
  int64_t size = 20;
};

struct ListOutput {
  std::vector<model::Resource> items;
  int64_t page = 1;
  int64_t total = 0;
};

// Where a resource is addressed: its kind, and for nested routes the parent's id.
struct Scope {
  const KindDescriptor* kind = nullptr;
  std::optional<std::string> parent_id;
};

// Loads the resource addressed by scope and id within tx; NotFound when it does not exist, is
// another kind, or belongs to another parent (or that parent is missing or another kind).
Result<model::Resource> LoadInScope(store::Tx& tx, const Scope& scope, const std::string& id,
                                    store::Lock lock);
// LoadInScope, and the statuses of `adapters` on the resource read in the same round trip.
struct LoadedWithStatuses {
  model::Resource resource;
  std::vector<model::AdapterStatus> statuses;
};
Result<LoadedWithStatuses> LoadInScope(store::Tx& tx, const Scope& scope, const std::string& id,
                                       store::Lock lock, const std::vector<std::string>& adapters);

// The lifecycle of resources: create, read, list, patch, delete, force-delete. Every change and
// the outbox event announcing it commit in one transaction. Specs and labels are held to
// `limits` (ValidateSpecSize, ValidateLabels). Thread-safe.
class ResourceService {
 public:
  ResourceService(store::Store& store, const Kinds& kinds, Limits limits = {})
      : store_(store), kinds_(kinds), limits_(limits) {}

  // 201: generation 1, initial conditions, event `created`. NotFound/Conflict for a missing or
  // deleting parent; AlreadyExists for a duplicate name.
  Result<model::Resource> Create(const Scope& scope, CreateInput in, const Caller& caller);
  // Reads the resource in scope (LoadInScope's answers), each read on its own
  // (Store::ReadResource: no transaction), and calls `done` once with it, from any thread,
  // possibly before returning. `done` must not block or throw.
  using GetDone = std::function<void(Result<model::Resource>)>;
  void Get(const Scope& scope, const std::string& id, GetDone done);
  Result<ListOutput> List(const Scope& scope, const ListInput& in);
  // Generation +1 (and event `updated`) only when spec or labels really change.
  Result<model::Resource> Patch(const Scope& scope, const std::string& id, const PatchInput& in,
                                const Caller& caller);
  // Soft delete: deleted_time, generation +1, event `deleted`, cascading to children.
  // Idempotent. Kinds without required adapters are removed at once.
  Result<model::Resource> Delete(const Scope& scope, const std::string& id, const Caller& caller);
  // Removes a resource that is already being deleted, with its children, at once; its parent
  // then hears of it as in AfterChildRemoved.
  Result<void> ForceDelete(const Scope& scope, const std::string& id, const std::string& reason,
                           const Caller& caller);

 private:
  Result<void> MarkDeleted(store::Tx& tx, model::Resource& r, const Caller& caller, Time now);
  // Deletes `r` and its children. With `notify`, each gets a force_deleted event, so adapters
  // that never finalized it still hear of it and remove what they made for it.
  Result<void> HardDelete(store::Tx& tx, const model::Resource& r, const Caller* notify = nullptr);

  store::Store& store_;
  const Kinds& kinds_;
  const Limits limits_;
};

// "Cluster with id='x' not found".
Error NotFoundError(std::string_view kind, std::string_view id);
// After `child` was removed within tx: its parent may have been waiting for it to finish
// deleting. A deleting parent whose kind has required adapters gets a `status_changed` event so
// they look again; one with none to wait for goes with its last child (and so on up).
Result<void> AfterChildRemoved(store::Tx& tx, const Kinds& kinds, const model::Resource& child,
                               const Caller& caller);
// The conditions of `r` recomputed from its adapter statuses.
Result<std::vector<model::Condition>> Recompute(store::Tx& tx, const Kinds& kinds,
                                                const model::Resource& r);

}  // namespace hf::service
