#include "service/resource_service.hpp"

#include "common/log.hpp"
#include "common/uuid.hpp"
#include "search/search.hpp"
#include "service/aggregation.hpp"
#include "service/outbox_events.hpp"
#include "service/reconciliation_metrics.hpp"
#include "service/validation.hpp"

namespace hf::service {
namespace {

const log::Logger kLog{"api"};

std::string Href(const KindDescriptor& kind, const std::string& id,
                 const std::optional<model::ObjectRef>& owner) {
  if (owner) return owner->href + "/" + std::string(kind.plural) + "/" + id;
  return kind.Href(id);
}

Error DeletingError(std::string_view kind, std::string_view id) {
  return Error{ErrorCode::kConflict,
               std::string(kind) + " '" + std::string(id) + "' is marked for deletion",
               {},
               {}};
}

}  // namespace

Error NotFoundError(std::string_view kind, std::string_view id) {
  return Error{ErrorCode::kNotFound,
               std::string(kind) + " with id='" + std::string(id) + "' not found",
               {},
               {}};
}

Result<std::vector<model::Condition>> Recompute(store::Tx& tx, const Kinds& kinds,
                                                const model::Resource& r) {
  const KindDescriptor* kind = kinds.ByKind(r.kind);
  if (!kind || kind->required_adapters.empty()) return std::vector<model::Condition>{};
  auto statuses = HF_TRY(tx.GetAdapterStatuses(r.id, kind->required_adapters));
  bool children = false;
  if (r.Deleting()) children = HF_TRY(tx.HasChildren(r.id));
  return Aggregate({r, kind->required_adapters, statuses, children});
}

Result<void> AfterChildRemoved(store::Tx& tx, const Kinds& kinds, const model::Resource& child,
                               const Caller& caller) {
  if (!child.owner) return {};
  auto parent = HF_TRY(tx.GetResource(child.owner->id, store::Lock::kForUpdate));
  // Only the last child's removal changes what the parent waits for: one event then, not one
  // per child (500 nodepools made 500 events, each re-reading the remaining children).
  if (!parent || !parent->Deleting() || HF_TRY(tx.HasChildren(parent->id))) return {};
  const KindDescriptor* kind = kinds.ByKind(parent->kind);
  if (kind && !kind->required_adapters.empty()) {
    HF_TRY(AppendEvent(tx, *parent, std::string(model::kStatusChangedReason), caller.traceparent));
    return {};
  }
  HF_CHECK(tx.DeleteResource(parent->id));
  return AfterChildRemoved(tx, kinds, *parent, caller);
}

namespace {

// The two halves of LoadInScope: the parent read (scope.parent_id, if a UUID) must be of the
// scope's parent kind, and the resource read (id, if a UUID) of the scope's kind and owner.
Result<void> CheckParent(const Scope& scope, const std::optional<model::Resource>& parent) {
  if (!parent || parent->kind != scope.kind->parent) {
    return Fail(NotFoundError(scope.kind->parent, *scope.parent_id));
  }
  return {};
}

Result<model::Resource> CheckResource(const Scope& scope, const std::string& id,
                                      std::optional<model::Resource> r) {
  if (!r || r->kind != scope.kind->name ||
      (scope.parent_id && (!r->owner || r->owner->id != *scope.parent_id))) {
    return Fail(NotFoundError(scope.kind->name, id));
  }
  return std::move(*r);
}

}  // namespace

Result<model::Resource> LoadInScope(store::Tx& tx, const Scope& scope, const std::string& id,
                                    store::Lock lock) {
  return std::move(HF_TRY(LoadInScope(tx, scope, id, lock, {})).resource);
}

Result<LoadedWithStatuses> LoadInScope(store::Tx& tx, const Scope& scope, const std::string& id,
                                       store::Lock lock, const std::vector<std::string>& adapters) {
  if (scope.parent_id) {
    HF_CHECK(CheckParent(
        scope, IsUuid(*scope.parent_id) ? HF_TRY(tx.GetResource(*scope.parent_id)) : std::nullopt));
  }
  store::ResourceWithStatuses read;
  if (IsUuid(id)) read = HF_TRY(tx.GetResourceWithStatuses(id, lock, adapters));
  auto r = HF_TRY(CheckResource(scope, id, std::move(read.resource)));
  return LoadedWithStatuses{std::move(r), std::move(read.statuses)};
}

Result<model::Resource> ResourceService::Create(const Scope& scope, CreateInput in,
                                                const Caller& caller) {
  const KindDescriptor& kind = *scope.kind;
  HF_CHECK(ValidateName(kind, in.name));
  HF_CHECK(ValidateSpecSize(in.spec, limits_));
  HF_CHECK(ValidateLabels(in.labels, limits_));
  if (kind.HasParent() && !scope.parent_id) {
    return Fail(ErrorCode::kUnprocessable, "kind \"" + std::string(kind.name) +
                                               "\" is a child kind; create it via /" +
                                               std::string(kinds_.ByKind(kind.parent)->plural) +
                                               "/{id}/" + std::string(kind.plural));
  }
  auto tx = HF_TRY(store_.Begin(store::TxMode::kWrite));
  model::Resource r;
  r.id = NewUuidV7();
  r.kind = kind.name;
  r.name = std::move(in.name);
  r.spec = std::move(in.spec);
  r.labels = std::move(in.labels);
  if (scope.parent_id) {
    auto parent = IsUuid(*scope.parent_id)
                      ? HF_TRY(tx->GetResource(*scope.parent_id, store::Lock::kForUpdate))
                      : std::nullopt;
    if (!parent || parent->kind != kind.parent) {
      return Fail(NotFoundError(kind.parent, *scope.parent_id));
    }
    if (parent->Deleting()) return Fail(DeletingError(parent->kind, parent->id));
    r.owner = model::ObjectRef{parent->id, parent->kind, parent->href};
  }
  r.href = Href(kind, r.id, r.owner);
  r.created_time = r.updated_time = Now();
  r.created_by = r.updated_by = caller.actor;
  r.conditions = Aggregate({r, kind.required_adapters, {}, false});
  // The insert travels with the commit (one round trip on PostgreSQL): a taken name is told by
  // either.
  const auto taken = [&](Error e) {
    if (e.code != ErrorCode::kAlreadyExists) return e;
    return Error{ErrorCode::kAlreadyExists,
                 "This " + std::string(kind.name) + " already exists",
                 std::move(e.detail),
                 {}};
  };
  if (auto inserted = tx->InsertResource(r); !inserted) return Fail(taken(inserted.error()));
  HF_TRY(AppendEvent(*tx, r, "created", caller.traceparent));
  if (auto committed = tx->Commit(); !committed) return Fail(taken(committed.error()));
  CountReconciliationStarted(kinds_, r, false);
  return r;
}

void ResourceService::Get(const Scope& scope, const std::string& id, GetDone done) {
  // The resource, read once its parent (if any) checked out; `answer` is called once.
  auto read = [this, scope, id](GetDone answer) {
    if (!IsUuid(id)) return answer(CheckResource(scope, id, std::nullopt));
    store_.ReadResource(
        id, [scope, id, answer = std::move(answer)](Result<std::optional<model::Resource>> r) {
          if (!r) return answer(Fail(std::move(r.error())));
          answer(CheckResource(scope, id, std::move(*r)));
        });
  };
  if (!scope.parent_id) return read(std::move(done));
  if (!IsUuid(*scope.parent_id)) return done(Fail(CheckParent(scope, std::nullopt).error()));
  store_.ReadResource(*scope.parent_id, [scope, read, done = std::move(done)](
                                            Result<std::optional<model::Resource>> parent) {
    if (!parent) return done(Fail(std::move(parent.error())));
    if (auto ok = CheckParent(scope, *parent); !ok) return done(Fail(std::move(ok.error())));
    read(done);
  });
}

Result<ListOutput> ResourceService::List(const Scope& scope, const ListInput& in) {
  auto tx = HF_TRY(store_.Begin(store::TxMode::kRead));
  store::ResourceQuery q;
  q.kind = scope.kind->name;
  if (scope.parent_id) {
    auto parent =
        IsUuid(*scope.parent_id) ? HF_TRY(tx->GetResource(*scope.parent_id)) : std::nullopt;
    if (!parent || parent->kind != scope.kind->parent) {
      return Fail(NotFoundError(scope.kind->parent, *scope.parent_id));
    }
    q.owner_id = scope.parent_id;
  }
  q.filter = HF_TRY(search::ParseSearch(in.search));
  q.order = HF_TRY(search::ParseOrder(in.order));
  q.offset = (in.page - 1) * in.size;
  q.limit = in.size;
  auto page = HF_TRY(tx->ListResources(q));
  return ListOutput{std::move(page.items), in.page, page.total};
}

Result<model::Resource> ResourceService::Patch(const Scope& scope, const std::string& id,
                                               const PatchInput& in, const Caller& caller) {
  if (in.spec) HF_CHECK(ValidateSpecSize(*in.spec, limits_));
  if (in.labels) HF_CHECK(ValidateLabels(*in.labels, limits_));
  auto tx = HF_TRY(store_.Begin(store::TxMode::kWrite));
  auto r = HF_TRY(LoadInScope(*tx, scope, id, store::Lock::kForUpdate));
  if (r.Deleting()) return Fail(DeletingError(r.kind, r.id));
  if (r.owner) {
    auto parent = HF_TRY(tx->GetResource(r.owner->id));
    if (parent && parent->Deleting()) return Fail(DeletingError(parent->kind, parent->id));
  }
  bool changed = false;
  if (in.spec && *in.spec != r.spec) {
    r.spec = *in.spec;
    changed = true;
  }
  if (in.labels && *in.labels != r.labels) {
    r.labels = *in.labels;
    changed = true;
  }
  if (!changed) return r;
  r.generation += 1;
  r.updated_by = caller.actor;
  r.updated_time = Now();
  r.conditions = HF_TRY(Recompute(*tx, kinds_, r));
  HF_CHECK(tx->UpdateResource(r));
  HF_TRY(AppendEvent(*tx, r, "updated", caller.traceparent));
  HF_CHECK(tx->Commit());
  CountReconciliationStarted(kinds_, r, false);
  return r;
}

Result<void> ResourceService::MarkDeleted(store::Tx& tx, model::Resource& r, const Caller& caller,
                                          Time now) {
  for (auto& child : HF_TRY(tx.ListChildren(r.id, store::Lock::kForUpdate))) {
    if (!child.Deleting()) HF_CHECK(MarkDeleted(tx, child, caller, now));
  }
  r.deleted_time = now;
  r.deleted_by = caller.actor;
  r.generation += 1;
  const KindDescriptor* kind = kinds_.ByKind(r.kind);
  if (kind && kind->required_adapters.empty() && !HF_TRY(tx.HasChildren(r.id))) {
    return HardDelete(tx, r);
  }
  r.conditions = HF_TRY(Recompute(tx, kinds_, r));
  HF_CHECK(tx.UpdateResource(r));
  HF_TRY(AppendEvent(tx, r, "deleted", caller.traceparent));
  return {};
}

Result<void> ResourceService::HardDelete(store::Tx& tx, const model::Resource& r,
                                         const Caller* notify) {
  for (const auto& child : HF_TRY(tx.ListChildren(r.id, store::Lock::kForUpdate))) {
    HF_CHECK(HardDelete(tx, child, notify));
  }
  if (notify) HF_TRY(AppendEvent(tx, r, "force_deleted", notify->traceparent));
  return tx.DeleteResource(r.id);
}

Result<model::Resource> ResourceService::Delete(const Scope& scope, const std::string& id,
                                                const Caller& caller) {
  auto tx = HF_TRY(store_.Begin(store::TxMode::kWrite));
  auto r = HF_TRY(LoadInScope(*tx, scope, id, store::Lock::kForUpdate));
  if (r.Deleting()) return r;
  HF_CHECK(MarkDeleted(*tx, r, caller, Now()));
  HF_CHECK(tx->Commit());
  CountReconciliationStarted(kinds_, r, true);
  return r;
}

Result<void> ResourceService::ForceDelete(const Scope& scope, const std::string& id,
                                          const std::string& reason, const Caller& caller) {
  auto tx = HF_TRY(store_.Begin(store::TxMode::kWrite));
  auto r = HF_TRY(LoadInScope(*tx, scope, id, store::Lock::kForUpdate));
  if (!r.Deleting()) {
    return Fail(ErrorCode::kConflict, r.kind + " '" + r.id + "' is not in Finalizing state");
  }
  HF_CHECK(HardDelete(*tx, r, &caller));
  HF_CHECK(AfterChildRemoved(*tx, kinds_, r, caller));
  HF_CHECK(tx->Commit());
  kLog.Warn("force-deleted resource", {{"kind", r.kind},
                                       {"resource_id", r.id},
                                       {"actor", caller.actor},
                                       {"reason", reason},
                                       {"request_id", caller.request_id}});
  return {};
}

}  // namespace hf::service
