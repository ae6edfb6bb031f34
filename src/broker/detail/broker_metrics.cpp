#include "broker/detail/broker_metrics.hpp"

#include "common/metrics.hpp"

namespace hf::broker::detail {
namespace {

struct Series {
  metrics::Family<metrics::Counter>& published;
  metrics::Family<metrics::Counter>& consumed;
  metrics::Family<metrics::Counter>& errors;
  metrics::Family<metrics::Histogram>& duration;
};

Series& Get() {
  auto& r = metrics::Registry::Default();
  static Series series{
      r.AddCounter("hyperfleet_broker_messages_published_total", "Messages published, by topic.",
                   {"topic"}),
      r.AddCounter("hyperfleet_broker_messages_consumed_total",
                   "Messages handed to a handler, by topic.", {"topic"}),
      r.AddCounter("hyperfleet_broker_errors_total",
                   "Failed publishes and Nacked (or throwing) handlers, by topic.",
                   {"topic", "error_type"}),
      r.AddHistogram("hyperfleet_broker_message_duration_seconds",
                     "Time a handler took for one message, by topic.", {"topic"},
                     {0.1, 0.5, 1, 2, 5, 10, 30, 60, 120}),
  };
  return series;
}

}  // namespace

void RecordPublished(const std::string& topic, const std::vector<Result<void>>& results) {
  double ok = 0, failed = 0;
  for (const auto& r : results) (r ? ok : failed) += 1;
  if (ok > 0) Get().published.WithLabels({topic}).Inc(ok);
  if (failed > 0) Get().errors.WithLabels({topic, "publish"}).Inc(failed);
}

void RecordConsumed(const std::string& topic, double handler_seconds, HandlerResult result) {
  Get().consumed.WithLabels({topic}).Inc();
  Get().duration.WithLabels({topic}).Observe(handler_seconds);
  if (result != HandlerResult::kAck) Get().errors.WithLabels({topic, "handler"}).Inc();
}

}  // namespace hf::broker::detail
