#pragma once

#include <string>

#include "common/result.hpp"
#include "model/outbox_event.hpp"
#include "model/resource.hpp"
#include "store/store.hpp"

namespace hf::service {

// Builds the outbox row (with its CloudEvent payload) announcing `r` for `reason`
// (created|updated|deleted|requested|status_changed). `traceparent` may be empty.
model::OutboxEvent MakeOutboxEvent(const model::Resource& r, const std::string& reason,
                                   const std::string& traceparent);

// Appends the event for `r` in `tx`; returns the row as written.
Result<model::OutboxEvent> AppendEvent(store::Tx& tx, const model::Resource& r,
                                       const std::string& reason, const std::string& traceparent);

}  // namespace hf::service
