#include "broker/rabbitmq/rabbitmq_broker.hpp"

#include "broker/detail/counters.hpp"
#include "broker/rabbitmq/rabbitmq_publisher.hpp"
#include "broker/rabbitmq/rabbitmq_subscriber.hpp"

namespace hf::broker {
namespace {

class RabbitMqBroker final : public Broker {
 public:
  RabbitMqBroker(std::string url, Duration timeout) : url_(std::move(url)), timeout_(timeout) {}
  std::string Type() const override { return "rabbitmq"; }
  Result<std::unique_ptr<Publisher>> NewPublisher() override {
    return std::make_unique<detail::RabbitMqPublisher>(url_, timeout_, counters_);
  }
  Result<std::unique_ptr<Subscriber>> NewSubscriber() override {
    return std::make_unique<detail::RabbitMqSubscriber>(url_, timeout_, counters_);
  }
  BrokerStats Stats() const override { return counters_->Snapshot(); }

 private:
  const std::string url_;
  const Duration timeout_;
  std::shared_ptr<detail::Counters> counters_ = std::make_shared<detail::Counters>();
};

}  // namespace

std::shared_ptr<Broker> OpenRabbitMqBroker(const std::string& url, Duration timeout) {
  return std::make_shared<RabbitMqBroker>(url, timeout);
}

}  // namespace hf::broker
