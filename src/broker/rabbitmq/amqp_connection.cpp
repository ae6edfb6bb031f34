#include "broker/rabbitmq/amqp_connection.hpp"

#include <amqp_tcp_socket.h>
#include <sys/time.h>

#include <vector>

namespace hf::broker::detail {
namespace {

timeval ToTimeval(Duration d) {
  return timeval{static_cast<time_t>(d.count() / 1000),
                 static_cast<suseconds_t>((d.count() % 1000) * 1000)};
}

Error LibraryError(int status, std::string_view what, const std::string& endpoint) {
  const std::string detail =
      std::string(what) + " on " + endpoint + ": " + amqp_error_string2(status);
  if (status == AMQP_STATUS_TIMEOUT || status == AMQP_STATUS_HEARTBEAT_TIMEOUT) {
    return Error{ErrorCode::kDeadlineExceeded,
                 "RabbitMQ at " + endpoint + " did not answer in time",
                 detail,
                 {}};
  }
  return Error{ErrorCode::kUnavailable, "cannot reach RabbitMQ at " + endpoint, detail, {}};
}

}  // namespace

Result<std::unique_ptr<AmqpConnection>> AmqpConnection::Open(const std::string& url,
                                                             Duration timeout,
                                                             int heartbeat_seconds) {
  std::vector<char> buffer(url.begin(), url.end());
  buffer.push_back('\0');
  amqp_connection_info info;
  amqp_default_connection_info(&info);
  if (amqp_parse_url(buffer.data(), &info) != AMQP_STATUS_OK) {
    return Fail(ErrorCode::kInvalidArgument,
                "invalid RabbitMQ URL (expected amqp://user:pass@host:port/vhost)");
  }
  // As most AMQP clients do, "amqp://host/" (empty vhost) means the default vhost "/".
  static char kDefaultVhost[] = "/";
  if (info.vhost == nullptr || info.vhost[0] == '\0') info.vhost = kDefaultVhost;
  if (info.ssl) return Fail(ErrorCode::kInvalidArgument, "amqps:// is not supported yet");
  const std::string endpoint = std::string(info.host) + ":" + std::to_string(info.port);

  amqp_connection_state_t state = amqp_new_connection();
  std::unique_ptr<AmqpConnection> conn(new AmqpConnection(state, endpoint));
  amqp_socket_t* socket = amqp_tcp_socket_new(state);
  if (socket == nullptr) return Fail(ErrorCode::kInternal, "cannot create AMQP socket");
  timeval tv = ToTimeval(timeout);
  amqp_set_handshake_timeout(state, &tv);
  amqp_set_rpc_timeout(state, &tv);
  if (int rc = amqp_socket_open_noblock(socket, info.host, info.port, &tv); rc != AMQP_STATUS_OK) {
    conn->broken_ = true;
    return Fail(LibraryError(rc, "connect", endpoint));
  }
  HF_CHECK(conn->Check(amqp_login(state, info.vhost, 0, 131072, heartbeat_seconds,
                                  AMQP_SASL_METHOD_PLAIN, info.user, info.password),
                       "login"));
  amqp_channel_open(state, kChannel);
  HF_CHECK(conn->Check(amqp_get_rpc_reply(state), "channel.open"));
  return conn;
}

AmqpConnection::~AmqpConnection() {
  if (!broken_) {
    amqp_channel_close(state_, kChannel, AMQP_REPLY_SUCCESS);
    amqp_connection_close(state_, AMQP_REPLY_SUCCESS);
  }
  amqp_destroy_connection(state_);
}

Result<void> AmqpConnection::CheckStatus(int status, std::string_view what) {
  if (status == AMQP_STATUS_OK) return Ok();
  broken_ = true;
  return Fail(LibraryError(status, what, endpoint_));
}

Result<void> AmqpConnection::Check(amqp_rpc_reply_t reply, std::string_view what) {
  switch (reply.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return Ok();
    case AMQP_RESPONSE_NONE:
      broken_ = true;
      return Fail(ErrorCode::kInternal, "RabbitMQ " + std::string(what) + ": missing reply");
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      broken_ = true;
      return Fail(LibraryError(reply.library_error, what, endpoint_));
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      break;
  }
  broken_ = true;
  std::string text = "server closed the channel";
  ErrorCode code = ErrorCode::kInternal;
  if (reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
    const auto* m = static_cast<amqp_channel_close_t*>(reply.reply.decoded);
    text = "channel closed: " + std::to_string(m->reply_code) + " " + ToString(m->reply_text);
    if (m->reply_code == AMQP_NOT_FOUND) code = ErrorCode::kNotFound;
    if (m->reply_code == AMQP_PRECONDITION_FAILED) code = ErrorCode::kConflict;
    if (m->reply_code == AMQP_ACCESS_REFUSED) code = ErrorCode::kUnavailable;
  } else if (reply.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
    const auto* m = static_cast<amqp_connection_close_t*>(reply.reply.decoded);
    text = "connection closed: " + std::to_string(m->reply_code) + " " + ToString(m->reply_text);
    code = ErrorCode::kUnavailable;
  }
  return Fail(code, "RabbitMQ " + std::string(what) + " failed at " + endpoint_, text);
}

Result<void> AmqpConnection::DeclareExchange(const std::string& name) {
  amqp_exchange_declare(state_, kChannel, Bytes(name), amqp_cstring_bytes("topic"),
                        /*passive=*/0, /*durable=*/1, /*auto_delete=*/0, /*internal=*/0,
                        amqp_empty_table);
  return Check(amqp_get_rpc_reply(state_), "exchange.declare " + name);
}

Result<void> AmqpConnection::DeclareBoundQueue(const std::string& queue,
                                               const std::string& exchange,
                                               const std::string& dead_letter_exchange) {
  amqp_table_entry_t entry;
  amqp_table_t args = amqp_empty_table;
  if (!dead_letter_exchange.empty()) {
    entry.key = amqp_cstring_bytes("x-dead-letter-exchange");
    entry.value.kind = AMQP_FIELD_KIND_UTF8;
    entry.value.value.bytes = Bytes(dead_letter_exchange);
    args = amqp_table_t{1, &entry};
  }
  amqp_queue_declare(state_, kChannel, Bytes(queue), /*passive=*/0, /*durable=*/1,
                     /*exclusive=*/0, /*auto_delete=*/0, args);
  HF_CHECK(Check(amqp_get_rpc_reply(state_), "queue.declare " + queue));
  amqp_queue_bind(state_, kChannel, Bytes(queue), Bytes(exchange), amqp_cstring_bytes("#"),
                  amqp_empty_table);
  return Check(amqp_get_rpc_reply(state_), "queue.bind " + queue);
}

}  // namespace hf::broker::detail
