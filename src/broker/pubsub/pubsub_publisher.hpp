#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "broker/broker.hpp"
#include "broker/detail/counters.hpp"
#include "broker/pubsub/pubsub_client.hpp"

namespace hf::broker::detail {

// Publishes in chunks of up to 1000 messages (one REST call each), creating the topic first
// when configured to. Thread-safe.
class PubSubPublisher final : public Publisher {
 public:
  PubSubPublisher(std::shared_ptr<PubSubClient> client, std::shared_ptr<Counters> counters)
      : client_(std::move(client)), counters_(std::move(counters)) {}

  std::vector<Result<void>> Publish(const std::string& topic,
                                    const std::vector<Message>& messages) override;

 private:
  std::shared_ptr<PubSubClient> client_;
  std::shared_ptr<Counters> counters_;
  std::mutex mu_;                  // guards ensured_
  std::set<std::string> ensured_;  // topics known to exist
};

}  // namespace hf::broker::detail
