#include "broker/open_broker.hpp"
#include "contract/broker_contract.hpp"

namespace hf::broker::testing {
namespace {

Result<std::shared_ptr<Broker>> Open(const std::string& host) {
  BrokerConfig config;
  config.type = "googlepubsub";
  config.pubsub_project = "hf-contract";
  config.pubsub_emulator_host = host;
  config.create_if_missing = true;
  config.operation_timeout = std::chrono::seconds(3);
  return OpenBroker(config);
}

BrokerTarget PubSubTarget() {
  BrokerTarget t;
  t.name = "PubSub";
  t.env_var = "HF_TEST_PUBSUB_EMULATOR_HOST";
  t.open = Open;
  // Port 1 on loopback: nothing listens there, so connecting is refused at once.
  t.open_down = [](const std::string&) { return Open("127.0.0.1:1"); };
  return t;
}

INSTANTIATE_TEST_SUITE_P(PubSub, BrokerContract, ::testing::Values(PubSubTarget()),
                         BrokerTargetName);

}  // namespace
}  // namespace hf::broker::testing
