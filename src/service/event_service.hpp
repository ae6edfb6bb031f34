#pragma once

#include <optional>
#include <string>

#include "common/result.hpp"
#include "model/outbox_event.hpp"
#include "service/caller.hpp"
#include "service/kinds.hpp"
#include "store/store.hpp"

namespace hf::service {

struct EventRequestResult {
  std::string event_id;
  bool pending = false;  // an unpublished event for this generation already existed
};

// Requests for events (the ticker's POST /events) and the outbox listing. Thread-safe.
class EventService {
 public:
  EventService(store::Store& store, const Kinds& kinds) : store_(store), kinds_(kinds) {}

  // Appends an event for the aggregate at its current generation unless one is still
  // unpublished. NotFound when the aggregate does not exist.
  Result<EventRequestResult> Request(const std::string& aggregate_type,
                                     const std::string& aggregate_id, const std::string& reason,
                                     const Caller& caller);
  Result<store::Page<model::OutboxEvent>> List(const store::OutboxQuery& q);

 private:
  store::Store& store_;
  const Kinds& kinds_;
};

}  // namespace hf::service
