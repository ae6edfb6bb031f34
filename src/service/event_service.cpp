#include "service/event_service.hpp"

#include "common/uuid.hpp"
#include "service/outbox_events.hpp"
#include "service/resource_service.hpp"

namespace hf::service {

Result<EventRequestResult> EventService::Request(const std::string& aggregate_type,
                                                 const std::string& aggregate_id,
                                                 const std::string& reason, const Caller& caller) {
  if (!kinds_.ByKind(aggregate_type)) {
    return Fail(
        ErrorCode::kInvalidArgument,
        "aggregate_type must be one of 'Cluster' or 'NodePool', got '" + aggregate_type + "'");
  }
  if (!IsUuid(aggregate_id)) return Fail(NotFoundError(aggregate_type, aggregate_id));
  auto tx = HF_TRY(store_.Begin(store::TxMode::kWrite));
  auto r = HF_TRY(tx->GetResource(aggregate_id, store::Lock::kForUpdate));
  if (!r || r->kind != aggregate_type) return Fail(NotFoundError(aggregate_type, aggregate_id));
  if (auto pending = HF_TRY(tx->FindPendingOutbox(r->id, r->generation))) {
    return EventRequestResult{pending->event_id, true};
  }
  auto event = HF_TRY(AppendEvent(*tx, *r, reason, caller.traceparent));
  HF_CHECK(tx->Commit());
  return EventRequestResult{event.event_id, false};
}

Result<store::Page<model::OutboxEvent>> EventService::List(const store::OutboxQuery& q) {
  auto tx = HF_TRY(store_.Begin(store::TxMode::kRead));
  return tx->ListOutbox(q);
}

}  // namespace hf::service
