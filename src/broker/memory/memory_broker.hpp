#pragma once

#include <memory>
#include <string>

#include "broker/broker.hpp"

namespace hf::broker {

// The in-process broker: the same semantics as the real backends, without a server. One queue
// per (topic, subscription), created by Subscribe; publishing fans out to every subscription of
// the topic (and drops the message if there is none); subscribers sharing a subscription compete;
// Nack redelivers with backoff; after max_delivery_attempts a message moves to the subscription
// `{sub}-dlq` of topic `{sub}-dlq`, created with the subscription. Nothing survives the process.
//
// Instances opened with the same `name` share their queues within the process, so e.g. the API's
// outbox and in-process adapters of `hyperfleet dev` talk through one broker.
std::shared_ptr<Broker> OpenMemoryBroker(const std::string& name);

}  // namespace hf::broker
