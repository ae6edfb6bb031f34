#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/time.hpp"

namespace hf::model {

// The reason of an event announcing a change of a resource's status (an adapter's report, or a
// deleting parent's child removed). The CloudEvent's data.adapter names the reporting adapter.
inline constexpr std::string_view kStatusChangedReason = "status_changed";

// The broker message attribute that carries an event's OutboxEvent::aggregate_sequence (decimal).
inline constexpr std::string_view kAggregateSequenceAttribute = "aggregate_sequence";

// One row of the transactional outbox: an event committed together with the change it announces.
struct OutboxEvent {
  int64_t id = 0;              // monotonic, assigned by the store
  std::string event_id;        // UUIDv7, also the CloudEvent id
  std::string aggregate_type;  // "Cluster" | "NodePool"
  std::string aggregate_id;
  int64_t aggregate_generation = 0;
  std::string event_type;  // the CloudEvent type
  std::string reason;      // created|updated|deleted|requested|status_changed
  std::string payload;     // the CloudEvent, structured JSON
  Time created_time{};
  std::optional<Time> published_time;
  int attempts = 0;
  Time next_attempt_time{};
  std::string last_error;
  // The resource's event_sequence this event took (model::Resource); nullopt for events
  // appended before the store kept numbers, or for a resource no longer stored.
  std::optional<int64_t> aggregate_sequence;
};

}  // namespace hf::model
