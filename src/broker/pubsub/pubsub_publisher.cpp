#include "broker/pubsub/pubsub_publisher.hpp"

#include "broker/detail/broker_metrics.hpp"
#include "broker/detail/subscription_support.hpp"

namespace hf::broker::detail {

std::vector<Result<void>> PubSubPublisher::Publish(const std::string& topic,
                                                   const std::vector<Message>& messages) {
  constexpr size_t kMaxBatch = 1000;  // Pub/Sub's limit per publish call
  std::vector<Result<void>> results;
  results.reserve(messages.size());
  Result<void> ready = ValidateName("topic", topic);
  if (ready && client_->settings().create_if_missing) {
    bool known = false;
    {
      std::lock_guard lock(mu_);
      known = ensured_.contains(topic);
    }
    if (!known) {
      ready = client_->EnsureTopic(topic);
      if (ready) {
        std::lock_guard lock(mu_);
        ensured_.insert(topic);
      }
    }
  }
  for (size_t start = 0; start < messages.size(); start += kMaxBatch) {
    const size_t end = std::min(messages.size(), start + kMaxBatch);
    Result<void> r = ready;
    if (r) {
      r = client_->Publish(topic,
                           std::vector<Message>(messages.begin() + start, messages.begin() + end));
    }
    for (size_t i = start; i < end; ++i) {
      (r ? counters_->published : counters_->publish_errors)++;
      results.push_back(r);
    }
  }
  RecordPublished(topic, results);
  return results;
}

}  // namespace hf::broker::detail
