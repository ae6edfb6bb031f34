#pragma once

#include <memory>
#include <string>

#include "broker/broker.hpp"
#include "common/time.hpp"

namespace hf::broker {

// RabbitMQ over AMQP 0-9-1 (librabbitmq). Topology, all durable:
//   topic T          → topic exchange "T"
//   subscription S   → queue "T-S" bound to "T" with '#', dead-lettering to exchange "S-dlq"
//   dead letters     → topic exchange "S-dlq" and queue "S-dlq" (read it with
//                      Subscribe("S-dlq", "S-dlq"): when topic == subscription the queue is
//                      named after the topic alone and has no dead-letter exchange)
// Publishing waits for publisher confirms of the whole batch; messages are persistent.
// Consumers: prefetch = parallelism; a Nack holds the message for the backoff, then republishes
// it to its queue with header x-delivery-count incremented and acks the original; the last
// allowed Nack rejects it without requeue, so RabbitMQ moves it to the dead-letter exchange.
// Connections drop → the subscriber reconnects with backoff; the publisher reconnects on the
// next Publish. `timeout` bounds every connect and broker round trip.
std::shared_ptr<Broker> OpenRabbitMqBroker(const std::string& url, Duration timeout);

}  // namespace hf::broker
