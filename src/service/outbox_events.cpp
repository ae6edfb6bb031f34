#include "service/outbox_events.hpp"

#include <cctype>

#include "common/uuid.hpp"
#include "model/cloud_event.hpp"

namespace hf::service {

std::string EventType(std::string_view kind) {
  std::string lower;
  for (char c : kind) lower.push_back(static_cast<char>(std::tolower(c)));
  return "com.redhat.hyperfleet." + lower + ".changed.v1";
}

std::string DefaultTopic(std::string_view plural) {
  return "hyperfleet." + std::string(plural) + ".changed.v1";
}

model::OutboxEvent MakeOutboxEvent(const model::Resource& r, const std::string& reason,
                                   const std::string& traceparent) {
  Time now = Now();
  model::OutboxEvent e;
  e.event_id = NewUuidV7();
  e.aggregate_type = r.kind;
  e.aggregate_id = r.id;
  e.aggregate_generation = r.generation;
  e.event_type = EventType(r.kind);
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
  if (r.owner) {
    ce.data["owner_references"] = {
        {"id", r.owner->id}, {"kind", r.owner->kind}, {"href", r.owner->href}};
  }
  e.payload = ce.Encode();
  return e;
}

Result<model::OutboxEvent> AppendEvent(store::Tx& tx, const model::Resource& r,
                                       const std::string& reason, const std::string& traceparent) {
  auto e = MakeOutboxEvent(r, reason, traceparent);
  e.id = HF_TRY(tx.AppendOutbox(e));
  return e;
}

}  // namespace hf::service
