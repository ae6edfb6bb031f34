#pragma once

// The reference's per-topic broker series, recorded by every backend:
//   hyperfleet_broker_messages_published_total{topic}
//   hyperfleet_broker_messages_consumed_total{topic}
//   hyperfleet_broker_errors_total{topic,error_type}   error_type: publish | handler
//   hyperfleet_broker_message_duration_seconds{topic}  handler time only

#include <string>
#include <vector>

#include "broker/broker.hpp"
#include "common/metrics.hpp"
#include "common/result.hpp"

namespace hf::broker::detail {

// Counts a Publish call's per-message results.
void RecordPublished(const std::string& topic, const std::vector<Result<void>>& results);
// The consumed series of one topic, looked up once per subscription: a lookup takes the family's
// lock and builds its key, which per message was a large part of a memory delivery's cost.
class ConsumedSeries {
 public:
  ConsumedSeries() = default;  // records nothing; assign ConsumedSeries(topic) before use
  explicit ConsumedSeries(std::string topic);
  // Counts one handled delivery: its handler time and whether it was Nacked (or threw).
  void Record(double handler_seconds, HandlerResult result) const;

 private:
  std::string topic_;
  metrics::Counter* consumed_ = nullptr;
  metrics::Histogram* duration_ = nullptr;
};

}  // namespace hf::broker::detail
