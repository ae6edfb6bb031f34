#pragma once

#include <chrono>
#include <string>

#include "common/time.hpp"

namespace hf::broker {

// Which broker to open and how (config keys `broker.*`). Defaults give the in-process broker.
struct BrokerConfig {
  std::string type = "memory";  // memory | googlepubsub | rabbitmq

  // memory: instances with the same name share queues within the process.
  std::string memory_name = "default";

  // googlepubsub
  std::string pubsub_project;
  std::string pubsub_emulator_host;     // host:port; empty → $PUBSUB_EMULATOR_HOST, else Google
  std::string pubsub_credentials_file;  // service-account key JSON; empty → metadata server
  bool create_if_missing = true;        // create topics/subscriptions (Pub/Sub) on first use

  // rabbitmq
  std::string rabbitmq_url;  // amqp://user:pass@host:port/vhost

  Duration operation_timeout = std::chrono::seconds(5);  // deadline of each broker call
};

}  // namespace hf::broker
