#pragma once

#include <string>

#include "common/result.hpp"
#include "model/outbox_event.hpp"
#include "model/resource.hpp"
#include "store/store.hpp"

namespace hf::service {

// Builds the outbox row (with its CloudEvent payload) announcing `r` for `reason`
// (created|updated|deleted|requested|status_changed). `traceparent` may be empty. `adapter`, when
// not empty, is the adapter whose status report caused the event (data.adapter), so adapters can
// tell an event about their own report, or about a status they do not read.
model::OutboxEvent MakeOutboxEvent(const model::Resource& r, const std::string& reason,
                                   const std::string& traceparent, const std::string& adapter = "");

// Appends the event for `r` in `tx`; returns the row as written (but for its id, which the store
// assigns).
Result<model::OutboxEvent> AppendEvent(store::Tx& tx, const model::Resource& r,
                                       const std::string& reason, const std::string& traceparent,
                                       const std::string& adapter = "");

}  // namespace hf::service
