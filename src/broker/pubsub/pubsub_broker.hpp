#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "broker/broker.hpp"
#include "common/time.hpp"

namespace hf::broker {

struct PubSubSettings {
  std::string project;
  std::string emulator_host;      // host:port → http://host:port/v1, no auth; empty → Google
  std::string credentials_file;   // service-account key; empty → GCE metadata server
  bool create_if_missing = true;  // PUT topics and subscriptions (incl. dead-letter) on first use
  Duration timeout = std::chrono::seconds(5);  // deadline of each REST call (not long polls)
};

// Google Cloud Pub/Sub over its REST API (https://pubsub.googleapis.com/v1, or the emulator).
// Topic T → projects/P/topics/T; subscription S → projects/P/subscriptions/S (names are
// project-wide, so ids must be unique per project, not per topic). Subscribe creates S with
// ackDeadlineSeconds = ack_deadline and deadLetterPolicy {topic S-dlq, maxDeliveryAttempts =
// max_delivery_attempts clamped to Pub/Sub's 5..100}, plus topic S-dlq and subscription S-dlq
// so dead letters are kept. Settings of an existing subscription are not changed.
// Consumers pull synchronously with long polling (maxMessages = free handler slots). A Nack
// waits out the backoff client-side, then sets the ack deadline to 0 (immediate redelivery).
// Dead-lettering happens client-side when deliveryAttempt reaches max_delivery_attempts
// (publish to S-dlq, then ack), so values below 5 work too; the server policy is the backstop
// for messages whose handlers never answer. deliveryAttempt comes from the server (it is only
// set on subscriptions with a dead-letter policy; otherwise every delivery reads as attempt 1).
std::shared_ptr<Broker> OpenPubSubBroker(const PubSubSettings& settings);

}  // namespace hf::broker
