#pragma once

// Helpers every backend's subscriber shares: validation, handler invocation, redelivery backoff.

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "broker/broker.hpp"
#include "broker/detail/broker_metrics.hpp"
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

// Runs the handler, counting the outcome in `counters` and `series`; an exception is logged and
// counts as kNack.
HandlerResult InvokeHandler(const Handler& handler, const Delivery& delivery, Counters& counters,
                            const ConsumedSeries& series, const log::Logger& logger);

// How long to wait before redelivering after the `attempt`-th delivery was Nacked:
// min_backoff · 2^(attempt-1), capped at max_backoff, with ±20 % jitter.
Duration RedeliveryDelay(const SubscribeOptions& options, int attempt);

// Spacing of a subscriber's reconnects (RabbitMQ) and failed pulls (Pub/Sub): 100 ms doubling to
// 5 s, ±50 %; reset after a success.
inline const BackoffPolicy kReconnectBackoff{std::chrono::milliseconds(100),
                                             std::chrono::seconds(5), 0.5};

// A subscriber's Stop: tells every consumption to stop after draining for `drain` (then calls
// `wake(consumption)` under its lock, for a thread that waits on more than the condition
// variable), waits until each is done, joins `threads` and returns the first consumption's
// failure, if any. A consumption has mu, cv, drain, stop, done and result (guarded by mu).
template <typename Consumption, typename Wake>
Result<void> StopConsumptions(const std::vector<std::shared_ptr<Consumption>>& consumptions,
                              std::vector<std::thread>& threads, Duration drain, Wake wake) {
  for (const auto& c : consumptions) {
    std::lock_guard lock(c->mu);
    c->drain = drain;
    c->stop = true;
    c->cv.notify_all();
    wake(*c);
  }
  Result<void> result = Ok();
  for (const auto& c : consumptions) {
    std::unique_lock lock(c->mu);
    c->cv.wait(lock, [&] { return c->done; });  // bounded: the drain + one broker round trip
    if (!c->result && result) result = c->result;
  }
  for (auto& t : threads) t.join();
  threads.clear();
  return result;
}

}  // namespace hf::broker::detail
