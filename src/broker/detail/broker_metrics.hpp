#pragma once

// The reference's per-topic broker series, recorded by every backend:
//   hyperfleet_broker_messages_published_total{topic}
//   hyperfleet_broker_messages_consumed_total{topic}
//   hyperfleet_broker_errors_total{topic,error_type}   error_type: publish | handler
//   hyperfleet_broker_message_duration_seconds{topic}  handler time only

#include <string>
#include <vector>

#include "broker/broker.hpp"
#include "common/result.hpp"

namespace hf::broker::detail {

// Counts a Publish call's per-message results.
void RecordPublished(const std::string& topic, const std::vector<Result<void>>& results);
// Counts one handled delivery: its handler time and whether it was Nacked (or threw).
void RecordConsumed(const std::string& topic, double handler_seconds, HandlerResult result);

}  // namespace hf::broker::detail
