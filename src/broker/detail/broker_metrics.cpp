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

ConsumedSeries::ConsumedSeries(std::string topic)
    : topic_(std::move(topic)),
      consumed_(&Get().consumed.WithLabels({topic_})),
      duration_(&Get().duration.WithLabels({topic_})) {}

void ConsumedSeries::Record(double handler_seconds, HandlerResult result) const {
  if (consumed_ == nullptr) return;
  consumed_->Inc();
  duration_->Observe(handler_seconds);
  // Looked up when it happens: a series per topic that never fails would only add zeros.
  if (result != HandlerResult::kAck) Get().errors.WithLabels({topic_, "handler"}).Inc();
}

}  // namespace hf::broker::detail
