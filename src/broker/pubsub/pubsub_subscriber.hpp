#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "broker/broker.hpp"
#include "broker/detail/counters.hpp"
#include "broker/pubsub/pubsub_client.hpp"

namespace hf::broker::detail {

struct PubSubConsumption;

// Per Subscribe call: a pulling thread feeding a worker pool of `parallelism` threads (which
// ack directly) and a settling thread that nacks after each message's backoff. See
// pubsub_broker.hpp for the semantics.
class PubSubSubscriber final : public Subscriber {
 public:
  PubSubSubscriber(std::shared_ptr<PubSubClient> client, std::shared_ptr<Counters> counters)
      : client_(std::move(client)), counters_(std::move(counters)) {}
  ~PubSubSubscriber() override;

  Result<void> Subscribe(const std::string& topic, const std::string& subscription_id,
                         Handler handler, const SubscribeOptions& options) override;
  Result<void> Stop(Duration drain) override;

 private:
  std::shared_ptr<PubSubClient> client_;
  std::shared_ptr<Counters> counters_;

  std::mutex mu_;  // guards everything below
  bool stopped_ = false;
  std::vector<std::shared_ptr<PubSubConsumption>> consumptions_;
  std::vector<std::thread> threads_;
};

}  // namespace hf::broker::detail
