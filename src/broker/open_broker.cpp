#include "broker/open_broker.hpp"

#include <cstdlib>

#include "broker/memory/memory_broker.hpp"
#include "broker/pubsub/pubsub_broker.hpp"
#include "broker/rabbitmq/rabbitmq_broker.hpp"

namespace hf::broker {

Result<std::shared_ptr<Broker>> OpenBroker(const BrokerConfig& config) {
  if (config.operation_timeout <= Duration::zero()) {
    return Fail(ErrorCode::kInvalidArgument, "broker.operation_timeout must be > 0");
  }
  if (config.type == "memory") return OpenMemoryBroker(config.memory_name);
  if (config.type == "rabbitmq") {
    if (!config.rabbitmq_url.starts_with("amqp://")) {
      return Fail(ErrorCode::kInvalidArgument,
                  "broker.rabbitmq.url must be set to amqp://user:pass@host:port/vhost");
    }
    return OpenRabbitMqBroker(config.rabbitmq_url, config.operation_timeout);
  }
  if (config.type == "googlepubsub") {
    if (config.pubsub_project.empty()) {
      return Fail(ErrorCode::kInvalidArgument, "broker.googlepubsub.project must be set");
    }
    PubSubSettings settings;
    settings.project = config.pubsub_project;
    settings.emulator_host = config.pubsub_emulator_host;
    if (settings.emulator_host.empty()) {
      if (const char* env = std::getenv("PUBSUB_EMULATOR_HOST")) settings.emulator_host = env;
    }
    settings.credentials_file = config.pubsub_credentials_file;
    settings.create_if_missing = config.create_if_missing;
    settings.timeout = config.operation_timeout;
    return OpenPubSubBroker(settings);
  }
  return Fail(ErrorCode::kInvalidArgument, "unknown broker.type '" + config.type +
                                               "' (expected memory, googlepubsub or rabbitmq)");
}

}  // namespace hf::broker
