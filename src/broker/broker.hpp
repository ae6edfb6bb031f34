#pragma once

// The broker component's front door: messages, Publisher, Subscriber and the Broker that makes
// them. Backends (memory, googlepubsub, rabbitmq) are chosen by OpenBroker (open_broker.hpp);
// nothing outside src/broker and src/app names one.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/time.hpp"

namespace hf::broker {

// One message. `body` is a CloudEvent in structured JSON mode (model::CloudEvent::Encode);
// `id` is the CloudEvent id and doubles as the broker message id.
struct Message {
  std::string id;
  std::string body;
  std::map<std::string, std::string> attributes;
};

// A message handed to a Handler.
struct Delivery {
  Message message;
  std::string topic;
  std::string subscription;
  int attempt = 1;  // 1 on first delivery, incremented on every redelivery after a Nack
};

enum class HandlerResult { kAck, kNack };

// Called for each delivery, possibly from several threads at once (up to `parallelism`).
// kNack (or an exception, which is logged) means redeliver later with backoff.
using Handler = std::function<HandlerResult(const Delivery&)>;

struct SubscribeOptions {
  int parallelism = 1;            // max handlers running at once for this subscription
  int max_delivery_attempts = 5;  // after this many Nacks the message goes to `{sub}-dlq`
  Duration ack_deadline = std::chrono::seconds(60);            // time a handler may hold a message
  Duration min_redelivery_backoff = std::chrono::seconds(1);   // backoff after the first Nack
  Duration max_redelivery_backoff = std::chrono::seconds(60);  // doubling, capped, jittered
};

// The dead-letter topic and subscription of a subscription: messages Nacked
// max_delivery_attempts times are kept there. Read them with
// Subscribe(DeadLetterName(s), DeadLetterName(s), ...).
inline std::string DeadLetterName(const std::string& subscription) { return subscription + "-dlq"; }

// Counters shared by the publishers and subscribers of one Broker (metrics hooks read these).
struct BrokerStats {
  uint64_t published = 0;       // messages the broker accepted
  uint64_t publish_errors = 0;  // messages it did not
  uint64_t delivered = 0;       // handler invocations
  uint64_t acked = 0;
  uint64_t nacked = 0;  // includes handler exceptions
  uint64_t dead_lettered = 0;
};

class Publisher {
 public:
  virtual ~Publisher() = default;
  // Publishes a batch to `topic`. Returns one result per message, in order: ok means the broker
  // has durably accepted it; an error (kUnavailable/kDeadlineExceeded when the broker is down or
  // slow) means it may not have been. Fails fast (within a few seconds) when the broker is down,
  // never hangs. Messages published to a topic without subscriptions are dropped.
  // Thread-safe.
  virtual std::vector<Result<void>> Publish(const std::string& topic,
                                            const std::vector<Message>& messages) = 0;
};

// How long Stop() waits for running handlers by default.
inline constexpr Duration kDefaultDrain = std::chrono::seconds(10);

class Subscriber {
 public:
  // Destruction calls Stop() with its default bound.
  virtual ~Subscriber() = default;
  // Starts consuming `subscription_id` of `topic` in the background and returns; creates the
  // subscription (and its dead-letter queue) if needed. Subscriptions with one id share the
  // messages (competing consumers); different ids each get every message (fan-out). May be
  // called several times for different subscriptions. Errors: kInvalidArgument for bad names
  // or options, kUnavailable when the broker cannot be reached.
  virtual Result<void> Subscribe(const std::string& topic, const std::string& subscription_id,
                                 Handler handler, const SubscribeOptions& options) = 0;
  // Stops taking messages, waits up to `drain` for running handlers to finish (their results
  // are applied) and releases undelivered messages for redelivery. Returns kDeadlineExceeded if
  // handlers were still running at the bound (they are abandoned; their messages will be
  // redelivered). Idempotent.
  virtual Result<void> Stop(Duration drain = kDefaultDrain) = 0;
};

// A connection to one broker; makes publishers and subscribers. Thread-safe.
class Broker {
 public:
  virtual ~Broker() = default;
  virtual std::string Type() const = 0;  // "memory", "googlepubsub" or "rabbitmq"
  virtual Result<std::unique_ptr<Publisher>> NewPublisher() = 0;
  virtual Result<std::unique_ptr<Subscriber>> NewSubscriber() = 0;
  virtual BrokerStats Stats() const = 0;
};

}  // namespace hf::broker
