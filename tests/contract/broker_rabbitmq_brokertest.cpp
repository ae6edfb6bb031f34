#include "broker/open_broker.hpp"
#include "contract/broker_contract.hpp"

namespace hf::broker::testing {
namespace {

Result<std::shared_ptr<Broker>> Open(const std::string& url) {
  BrokerConfig config;
  config.type = "rabbitmq";
  config.rabbitmq_url = url;
  config.operation_timeout = std::chrono::seconds(3);
  return OpenBroker(config);
}

BrokerTarget RabbitMqTarget() {
  BrokerTarget t;
  t.name = "RabbitMQ";
  t.env_var = "HF_TEST_RABBITMQ_URL";
  t.open = Open;
  // Port 1 on loopback: nothing listens there, so connecting is refused at once.
  t.open_down = [](const std::string&) { return Open("amqp://guest:guest@127.0.0.1:1/"); };
  return t;
}

INSTANTIATE_TEST_SUITE_P(RabbitMQ, BrokerContract, ::testing::Values(RabbitMqTarget()),
                         BrokerTargetName);

}  // namespace
}  // namespace hf::broker::testing
