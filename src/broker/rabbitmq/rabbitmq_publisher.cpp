#include "broker/rabbitmq/rabbitmq_publisher.hpp"

#include <amqp.h>
#include <amqp_framing.h>
#include <sys/time.h>

#include <chrono>
#include <map>

#include "broker/detail/broker_metrics.hpp"
#include "broker/detail/subscription_support.hpp"

namespace hf::broker::detail {

Result<void> PublishOne(AmqpConnection& conn, const std::string& exchange,
                        const std::string& routing_key, const Message& message, int attempt_count) {
  std::vector<amqp_table_entry_t> headers;
  auto add = [&](const std::string& k, const std::string& v) {
    amqp_table_entry_t e;
    e.key = Bytes(k);
    e.value.kind = AMQP_FIELD_KIND_UTF8;
    e.value.value.bytes = Bytes(v);
    headers.push_back(e);
  };
  for (const auto& [k, v] : message.attributes) add(k, v);
  static const std::string kUuidHeader = "_watermill_message_uuid";  // read by Go consumers
  add(kUuidHeader, message.id);
  static const std::string kCountHeader = "x-delivery-count";
  if (attempt_count > 0) {
    amqp_table_entry_t e;
    e.key = Bytes(kCountHeader);
    e.value.kind = AMQP_FIELD_KIND_I64;
    e.value.value.i64 = attempt_count;
    headers.push_back(e);
  }
  amqp_basic_properties_t props{};
  props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG |
                 AMQP_BASIC_MESSAGE_ID_FLAG | AMQP_BASIC_HEADERS_FLAG;
  props.content_type = amqp_cstring_bytes("application/cloudevents+json");
  props.delivery_mode = 2;  // persistent
  props.message_id = Bytes(message.id);
  props.headers = amqp_table_t{static_cast<int>(headers.size()), headers.data()};
  const int rc = amqp_basic_publish(conn.state(), AmqpConnection::kChannel, Bytes(exchange),
                                    Bytes(routing_key), /*mandatory=*/0, /*immediate=*/0, &props,
                                    Bytes(message.body));
  return conn.CheckStatus(rc, "basic.publish");
}

RabbitMqPublisher::RabbitMqPublisher(std::string url, Duration timeout,
                                     std::shared_ptr<Counters> counters)
    : url_(std::move(url)), timeout_(timeout), counters_(std::move(counters)) {}

std::vector<Result<void>> RabbitMqPublisher::Publish(const std::string& topic,
                                                     const std::vector<Message>& messages) {
  std::vector<Result<void>> results;
  if (auto valid = ValidateName("topic", topic); !valid) {
    results.assign(messages.size(), valid);
  } else {
    std::lock_guard lock(mu_);
    results = PublishLocked(topic, messages);
    if (conn_ && conn_->Broken()) conn_.reset();
  }
  for (const auto& r : results) (r ? counters_->published : counters_->publish_errors)++;
  RecordPublished(topic, results);
  return results;
}

std::vector<Result<void>> RabbitMqPublisher::PublishLocked(const std::string& topic,
                                                           const std::vector<Message>& messages) {
  std::vector<Result<void>> results(messages.size(), Fail(ErrorCode::kInternal, "not sent"));
  auto fail_all = [&](const Error& e) {
    for (auto& r : results) {
      if (!r) r = Fail(e);
    }
    return results;
  };
  if (messages.empty()) return results;
  if (!conn_) {
    auto conn = AmqpConnection::Open(url_, timeout_, /*heartbeat_seconds=*/0);
    if (!conn) return fail_all(conn.error());
    amqp_confirm_select(conn.value()->state(), AmqpConnection::kChannel);
    if (auto r = conn.value()->Check(amqp_get_rpc_reply(conn.value()->state()), "confirm.select");
        !r) {
      return fail_all(r.error());
    }
    conn_ = std::move(*conn);
    declared_.clear();
    next_tag_ = 1;
  }
  if (!declared_.contains(topic)) {
    if (auto r = conn_->DeclareExchange(topic); !r) return fail_all(r.error());
    declared_.insert(topic);
  }

  // Send everything, then collect confirms: tag first_tag + i belongs to messages[i].
  const uint64_t first_tag = next_tag_;
  for (const auto& m : messages) {
    if (auto r = PublishOne(*conn_, topic, "", m, 0); !r) return fail_all(r.error());
    next_tag_++;
  }
  std::vector<bool> settled(messages.size(), false);
  size_t pending = messages.size();
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  auto settle = [&](uint64_t tag, bool multiple, Result<void> outcome) {
    for (size_t i = 0; i < messages.size(); ++i) {
      const uint64_t t = first_tag + i;
      if (!settled[i] && (t == tag || (multiple && t <= tag))) {
        settled[i] = true;
        results[i] = outcome;
        pending--;
      }
    }
  };
  while (pending > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      (void)conn_->CheckStatus(AMQP_STATUS_TIMEOUT, "waiting for publisher confirms");
      return fail_all(Error{ErrorCode::kDeadlineExceeded,
                            "RabbitMQ at " + conn_->endpoint() + " did not confirm in time",
                            {},
                            {}});
    }
    timeval tv{static_cast<time_t>(left.count() / 1000000),
               static_cast<suseconds_t>(left.count() % 1000000)};
    amqp_frame_t frame;
    const int rc = amqp_simple_wait_frame_noblock(conn_->state(), &frame, &tv);
    if (rc == AMQP_STATUS_TIMEOUT) continue;
    if (auto r = conn_->CheckStatus(rc, "waiting for publisher confirms"); !r) {
      return fail_all(r.error());
    }
    if (frame.frame_type != AMQP_FRAME_METHOD) continue;
    switch (frame.payload.method.id) {
      case AMQP_BASIC_ACK_METHOD: {
        const auto* ack = static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded);
        settle(ack->delivery_tag, ack->multiple, Ok());
        break;
      }
      case AMQP_BASIC_NACK_METHOD: {
        const auto* nack = static_cast<amqp_basic_nack_t*>(frame.payload.method.decoded);
        settle(nack->delivery_tag, nack->multiple,
               Fail(ErrorCode::kUnavailable, "RabbitMQ refused the message (nack)"));
        break;
      }
      case AMQP_CHANNEL_CLOSE_METHOD:
      case AMQP_CONNECTION_CLOSE_METHOD: {
        amqp_rpc_reply_t reply{};
        reply.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
        reply.reply = frame.payload.method;
        return fail_all(conn_->Check(reply, "publish").error());
      }
      default:
        break;  // basic.return cannot happen (not mandatory); ignore anything else
    }
  }
  amqp_maybe_release_buffers(conn_->state());
  return results;
}

}  // namespace hf::broker::detail
