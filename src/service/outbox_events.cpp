#include "service/outbox_events.hpp"

#include "common/uuid.hpp"
#include "model/cloud_event.hpp"
#include "model/kinds.hpp"

namespace hf::service {

model::OutboxEvent MakeOutboxEvent(const model::Resource& r, const std::string& reason,
                                   const std::string& traceparent, const std::string& adapter) {
  Time now = Now();
  model::OutboxEvent e;
  e.event_id = NewUuidV7();
  e.aggregate_type = r.kind;
  e.aggregate_id = r.id;
  e.aggregate_generation = r.generation;
  const model::ResourceKind* kind = model::FindKind(r.kind);
  e.event_type = kind ? std::string(kind->event_type) : "com.redhat.hyperfleet.unknown.changed.v1";
  e.reason = reason;
  e.created_time = now;
  e.next_attempt_time = now;

  model::CloudEvent ce;
  ce.id = e.event_id;
  ce.source = "/hyperfleet/api";
  ce.type = e.event_type;
  ce.subject = r.id;
  ce.time = FormatTime(now);
  ce.traceparent = traceparent;
  ce.data = {{"id", r.id},
             {"kind", r.kind},
             {"href", r.href},
             {"generation", r.generation},
             {"reason", reason}};
  if (!adapter.empty()) ce.data["adapter"] = adapter;
  if (r.owner) {
    ce.data["owner_references"] = {
        {"id", r.owner->id}, {"kind", r.owner->kind}, {"href", r.owner->href}};
  }
  e.payload = ce.Encode();
  return e;
}

Result<model::OutboxEvent> AppendEvent(store::Tx& tx, const model::Resource& r,
                                       const std::string& reason, const std::string& traceparent,
                                       const std::string& adapter) {
  auto e = MakeOutboxEvent(r, reason, traceparent, adapter);
  HF_CHECK(tx.AppendOutbox(e));
  return e;
}

}  // namespace hf::service
