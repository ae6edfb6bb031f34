#include "broker/pubsub/pubsub_broker.hpp"

#include "broker/detail/counters.hpp"
#include "broker/pubsub/pubsub_client.hpp"
#include "broker/pubsub/pubsub_publisher.hpp"
#include "broker/pubsub/pubsub_subscriber.hpp"

namespace hf::broker {
namespace {

class PubSubBroker final : public Broker {
 public:
  explicit PubSubBroker(const PubSubSettings& settings)
      : client_(std::make_shared<detail::PubSubClient>(settings)) {}
  std::string Type() const override { return "googlepubsub"; }
  Result<std::unique_ptr<Publisher>> NewPublisher() override {
    return std::make_unique<detail::PubSubPublisher>(client_, counters_);
  }
  Result<std::unique_ptr<Subscriber>> NewSubscriber() override {
    return std::make_unique<detail::PubSubSubscriber>(client_, counters_);
  }
  BrokerStats Stats() const override { return counters_->Snapshot(); }

 private:
  std::shared_ptr<detail::PubSubClient> client_;
  std::shared_ptr<detail::Counters> counters_ = std::make_shared<detail::Counters>();
};

}  // namespace

std::shared_ptr<Broker> OpenPubSubBroker(const PubSubSettings& settings) {
  return std::make_shared<PubSubBroker>(settings);
}

}  // namespace hf::broker
