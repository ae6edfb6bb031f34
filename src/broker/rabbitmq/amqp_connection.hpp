#pragma once

#include <amqp.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "common/time.hpp"

namespace hf::broker::detail {

// One AMQP connection with one open channel (number 1). Not thread-safe: each publisher and
// each consuming thread owns its own. Every blocking call is bounded by the timeout given to
// Open. After any error the connection is Broken() and must be replaced.
class AmqpConnection {
 public:
  static constexpr amqp_channel_t kChannel = 1;

  // Connects, logs in and opens the channel. `heartbeat` 0 disables heartbeats (right for
  // connections that sit idle between calls). Errors: kInvalidArgument for a bad URL,
  // kUnavailable / kDeadlineExceeded naming host:port when the broker cannot be reached.
  static Result<std::unique_ptr<AmqpConnection>> Open(const std::string& url, Duration timeout,
                                                      int heartbeat_seconds);
  ~AmqpConnection();
  AmqpConnection(const AmqpConnection&) = delete;
  AmqpConnection& operator=(const AmqpConnection&) = delete;

  amqp_connection_state_t state() const { return state_; }
  bool Broken() const { return broken_; }
  const std::string& endpoint() const { return endpoint_; }

  // Maps an RPC reply to a Result; any failure marks the connection broken.
  Result<void> Check(amqp_rpc_reply_t reply, std::string_view what);
  // Maps a status code (amqp_basic_publish, amqp_basic_ack, …) likewise.
  Result<void> CheckStatus(int status, std::string_view what);

  // Durable topic exchange (idempotent).
  Result<void> DeclareExchange(const std::string& name);
  // Durable queue bound to `exchange` with '#'; dead-letters to `dead_letter_exchange` if set.
  Result<void> DeclareBoundQueue(const std::string& queue, const std::string& exchange,
                                 const std::string& dead_letter_exchange);

 private:
  AmqpConnection(amqp_connection_state_t state, std::string endpoint)
      : state_(state), endpoint_(std::move(endpoint)) {}

  amqp_connection_state_t state_;
  std::string endpoint_;  // host:port for messages
  bool broken_ = false;
};

// Converts between library byte strings and std::string.
inline std::string ToString(amqp_bytes_t b) {
  return b.len == 0 ? std::string() : std::string(static_cast<const char*>(b.bytes), b.len);
}
inline amqp_bytes_t Bytes(const std::string& s) {
  return amqp_bytes_t{s.size(), const_cast<char*>(s.data())};
}

}  // namespace hf::broker::detail
