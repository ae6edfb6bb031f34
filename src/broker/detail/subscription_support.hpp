#pragma once

// Helpers every backend's subscriber shares: validation, handler invocation, redelivery backoff.

#include <string>

#include "broker/broker.hpp"
#include "broker/detail/counters.hpp"
#include "common/backoff.hpp"
#include "common/log.hpp"
#include "common/result.hpp"

namespace hf::broker::detail {

// Topic and subscription names: 3–200 of [A-Za-z0-9._~+%-], starting with a letter but not "goog"
// (the intersection of what Pub/Sub and RabbitMQ accept).
Result<void> ValidateName(const std::string& what, const std::string& name);
// Names plus options: parallelism ≥ 1, max_delivery_attempts ≥ 1, backoffs ≥ 0 and min ≤ max.
Result<void> ValidateSubscribe(const std::string& topic, const std::string& subscription,
                               const SubscribeOptions& options);

// Runs the handler, counting the outcome; an exception is logged and counts as kNack.
HandlerResult InvokeHandler(const Handler& handler, const Delivery& delivery, Counters& counters,
                            const log::Logger& logger);

// How long to wait before redelivering after the `attempt`-th delivery was Nacked:
// min_backoff · 2^(attempt-1), capped at max_backoff, with ±20 % jitter.
Duration RedeliveryDelay(const SubscribeOptions& options, int attempt);

// Spacing of a subscriber's reconnects (RabbitMQ) and failed pulls (Pub/Sub): 100 ms doubling to
// 5 s, ±50 %; reset after a success.
inline const BackoffPolicy kReconnectBackoff{std::chrono::milliseconds(100),
                                             std::chrono::seconds(5), 0.5};

}  // namespace hf::broker::detail
