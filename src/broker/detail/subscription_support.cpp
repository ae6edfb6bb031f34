#include "broker/detail/subscription_support.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <exception>

#include "broker/detail/broker_metrics.hpp"

namespace hf::broker::detail {

Result<void> ValidateName(const std::string& what, const std::string& name) {
  if (name.size() < 3 || name.size() > 200) {
    return Fail(ErrorCode::kInvalidArgument, what + " must be 3 to 200 characters long");
  }
  if (!std::isalpha(static_cast<unsigned char>(name[0]))) {
    return Fail(ErrorCode::kInvalidArgument, what + " '" + name + "' must start with a letter");
  }
  if (name.starts_with("goog")) {
    return Fail(ErrorCode::kInvalidArgument, what + " '" + name + "' must not start with 'goog'");
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '~' || c == '+' || c == '%' || c == '-';
    if (!ok) {
      return Fail(ErrorCode::kInvalidArgument,
                  what + " '" + name + "' may only contain letters, digits and . _ ~ + % -");
    }
  }
  return Ok();
}

Result<void> ValidateSubscribe(const std::string& topic, const std::string& subscription,
                               const SubscribeOptions& o) {
  HF_CHECK(ValidateName("topic", topic));
  HF_CHECK(ValidateName("subscription", subscription));
  if (o.parallelism < 1) return Fail(ErrorCode::kInvalidArgument, "parallelism must be >= 1");
  if (o.max_delivery_attempts < 1) {
    return Fail(ErrorCode::kInvalidArgument, "max_delivery_attempts must be >= 1");
  }
  if (o.min_redelivery_backoff.count() < 0 || o.max_redelivery_backoff < o.min_redelivery_backoff) {
    return Fail(ErrorCode::kInvalidArgument,
                "redelivery backoff must satisfy 0 <= min_redelivery_backoff <= "
                "max_redelivery_backoff");
  }
  if (o.ack_deadline < std::chrono::seconds(1)) {
    return Fail(ErrorCode::kInvalidArgument, "ack_deadline must be >= 1s");
  }
  return Ok();
}

HandlerResult InvokeHandler(const Handler& handler, const Delivery& delivery, Counters& counters,
                            const ConsumedSeries& series, const log::Logger& logger) {
  counters.delivered++;
  const auto started = std::chrono::steady_clock::now();
  HandlerResult result = HandlerResult::kNack;
  try {
    result = handler(delivery);
  } catch (const std::exception& e) {
    logger.Error("handler threw; nacking", {{"subscription", delivery.subscription},
                                            {"message_id", delivery.message.id},
                                            {"error", e.what()}});
  } catch (...) {
    logger.Error("handler threw; nacking",
                 {{"subscription", delivery.subscription}, {"message_id", delivery.message.id}});
  }
  (result == HandlerResult::kAck ? counters.acked : counters.nacked)++;
  series.Record(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
                result);
  return result;
}

Duration RedeliveryDelay(const SubscribeOptions& o, int attempt) {
  return BackoffPolicy{o.min_redelivery_backoff, o.max_redelivery_backoff, 0.2}.Delay(attempt);
}

}  // namespace hf::broker::detail
