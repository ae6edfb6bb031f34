#pragma once

#include <string>

#include "common/result.hpp"
#include "model/outbox_event.hpp"
#include "model/resource.hpp"
#include "store/store.hpp"

namespace hf::service {

// The CloudEvent type announcing a change of that kind: com.redhat.hyperfleet.<kind>.changed.v1.
std::string EventType(std::string_view kind);
// The default broker topic for a kind: hyperfleet.<plural>.changed.v1.
std::string DefaultTopic(std::string_view plural);

// Builds the outbox row (with its CloudEvent payload) announcing `r` for `reason`
// (created|updated|deleted|requested|status_changed). `traceparent` may be empty.
model::OutboxEvent MakeOutboxEvent(const model::Resource& r, const std::string& reason,
                                   const std::string& traceparent);

// Appends the event for `r` in `tx`; returns the row as written.
Result<model::OutboxEvent> AppendEvent(store::Tx& tx, const model::Resource& r,
                                       const std::string& reason, const std::string& traceparent);

}  // namespace hf::service
