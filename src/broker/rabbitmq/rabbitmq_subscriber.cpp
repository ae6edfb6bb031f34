#include "broker/rabbitmq/rabbitmq_subscriber.hpp"

#include <amqp.h>
#include <amqp_framing.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>

#include "broker/detail/subscription_support.hpp"
#include "broker/detail/worker_pool.hpp"
#include "broker/rabbitmq/amqp_connection.hpp"
#include "broker/rabbitmq/rabbitmq_publisher.hpp"
#include "common/log.hpp"

namespace hf::broker::detail {

using Clock = std::chrono::steady_clock;

// A handler's verdict on one delivery, waiting for the consuming thread to apply it.
struct Verdict {
  uint64_t tag = 0;
  Delivery delivery;
  HandlerResult result = HandlerResult::kAck;
  Clock::time_point due;  // for Nacks: when to redeliver
};

// State shared by the consuming thread and the handler tasks it submits.
struct RabbitMqConsumption {
  ~RabbitMqConsumption() {
    if (wake_fd >= 0) ::close(wake_fd);
  }
  // Wakes the consuming thread (a verdict is queued, or stop is set): RabbitMQ sends no more than
  // `parallelism` unacknowledged deliveries, so an ack that waits holds back the next delivery.
  void Wake() const {
    const uint64_t one = 1;
    (void)!::write(wake_fd, &one, sizeof one);
  }

  int wake_fd = -1;  // an eventfd, read by the consuming thread
  Duration idle_wait{};
  std::string url;
  Duration timeout;
  std::shared_ptr<Counters> counters;
  std::string topic;
  detail::ConsumedSeries series;  // of topic
  std::string subscription;
  std::string queue;
  bool terminal = false;  // a dead-letter queue: no further dead-lettering
  Handler handler;
  SubscribeOptions options;
  log::Logger logger{"broker.rabbitmq"};

  std::atomic<bool> stop{false};
  Duration drain{};
  std::mutex mu;  // guards verdicts, result, done
  std::condition_variable cv;
  std::deque<Verdict> verdicts;
  Result<void> result;
  bool done = false;
};

namespace {

Result<void> DeclareTopology(AmqpConnection& conn, const RabbitMqConsumption& c) {
  HF_CHECK(conn.DeclareExchange(c.topic));
  if (c.terminal) return conn.DeclareBoundQueue(c.queue, c.topic, "");
  const std::string dlq = DeadLetterName(c.subscription);
  HF_CHECK(conn.DeclareExchange(dlq));
  HF_CHECK(conn.DeclareBoundQueue(dlq, dlq, ""));
  return conn.DeclareBoundQueue(c.queue, c.topic, dlq);
}

Delivery ToDelivery(const amqp_envelope_t& env, const RabbitMqConsumption& c) {
  Delivery d;
  d.topic = c.topic;
  d.subscription = c.subscription;
  d.message.body = ToString(env.message.body);
  const auto& props = env.message.properties;
  if (props._flags & AMQP_BASIC_MESSAGE_ID_FLAG) d.message.id = ToString(props.message_id);
  if (props._flags & AMQP_BASIC_HEADERS_FLAG) {
    for (int i = 0; i < props.headers.num_entries; ++i) {
      const auto& e = props.headers.entries[i];
      const std::string key = ToString(e.key);
      if (key == "x-delivery-count") {
        int64_t n = 0;
        switch (e.value.kind) {
          case AMQP_FIELD_KIND_I64:
            n = e.value.value.i64;
            break;
          case AMQP_FIELD_KIND_U64:
            n = static_cast<int64_t>(e.value.value.u64);
            break;
          case AMQP_FIELD_KIND_I32:
            n = e.value.value.i32;
            break;
          case AMQP_FIELD_KIND_U32:
            n = e.value.value.u32;
            break;
          default:
            break;
        }
        d.attempt = static_cast<int>(n) + 1;
      } else if ((e.value.kind == AMQP_FIELD_KIND_UTF8 || e.value.kind == AMQP_FIELD_KIND_BYTES) &&
                 !key.starts_with("x-") && !key.starts_with("_watermill")) {
        d.message.attributes[key] = ToString(e.value.value.bytes);
      }
    }
  }
  return d;
}

// Applies verdicts that are due. Nacks wait in `delayed` for their backoff.
Result<void> ApplyVerdicts(AmqpConnection& conn, RabbitMqConsumption& c,
                           std::vector<Verdict>& delayed, bool everything_now) {
  {
    std::lock_guard lock(c.mu);
    while (!c.verdicts.empty()) {
      delayed.push_back(std::move(c.verdicts.front()));
      c.verdicts.pop_front();
    }
  }
  const auto now = Clock::now();
  for (auto it = delayed.begin(); it != delayed.end();) {
    Verdict& v = *it;
    if (v.result == HandlerResult::kAck) {
      HF_CHECK(conn.CheckStatus(amqp_basic_ack(conn.state(), AmqpConnection::kChannel, v.tag, 0),
                                "basic.ack"));
    } else if (v.delivery.attempt >= c.options.max_delivery_attempts) {
      // RabbitMQ routes it to the dead-letter exchange (dropped for a terminal queue).
      HF_CHECK(conn.CheckStatus(
          amqp_basic_reject(conn.state(), AmqpConnection::kChannel, v.tag, /*requeue=*/0),
          "basic.reject"));
      c.counters->dead_lettered++;
      c.logger.Warn("message dead-lettered", {{"subscription", c.subscription},
                                              {"message_id", v.delivery.message.id},
                                              {"attempts", v.delivery.attempt}});
    } else if (v.due <= now || everything_now) {
      if (everything_now && v.due > now) {
        ++it;  // stopping before the backoff ran out: leave it unacked, RabbitMQ requeues it
        continue;
      }
      HF_CHECK(PublishOne(conn, "", c.queue, v.delivery.message, v.delivery.attempt));
      HF_CHECK(conn.CheckStatus(amqp_basic_ack(conn.state(), AmqpConnection::kChannel, v.tag, 0),
                                "basic.ack"));
    } else {
      ++it;
      continue;
    }
    it = delayed.erase(it);
  }
  return Ok();
}

enum class Input {
  kBroker,  // bytes (or whole frames) from the broker are waiting
  kWake,    // a verdict was queued or stop was set
  kIdle,    // neither, within the idle wait (or a delayed Nack is due)
};

// Waits for input from the broker or a wake-up, at most c.idle_wait and no later than the first
// delayed Nack is due.
Input WaitForInput(AmqpConnection& conn, RabbitMqConsumption& c,
                   const std::vector<Verdict>& delayed) {
  if (amqp_frames_enqueued(conn.state()) || amqp_data_in_buffer(conn.state())) {
    return Input::kBroker;
  }
  auto until = Clock::now() + c.idle_wait;
  for (const Verdict& v : delayed) until = std::min(until, v.due);
  const auto wait = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
  pollfd fds[2] = {{amqp_get_sockfd(conn.state()), POLLIN, 0}, {c.wake_fd, POLLIN, 0}};
  const int n = ::poll(fds, 2, static_cast<int>(std::clamp<int64_t>(wait.count(), 0, 60'000)));
  if (n > 0 && (fds[1].revents & POLLIN)) {
    uint64_t count = 0;
    (void)!::read(c.wake_fd, &count, sizeof count);
  }
  if (n > 0 && fds[0].revents != 0) return Input::kBroker;  // data, or an error to read
  return n > 0 ? Input::kWake : Input::kIdle;
}

// Consumes on one connection until stop or a connection error.
Result<void> ConsumeOnce(AmqpConnection& conn, const std::shared_ptr<RabbitMqConsumption>& c,
                         WorkerPool& pool, std::vector<Verdict>& delayed) {
  HF_CHECK(DeclareTopology(conn, *c));
  amqp_basic_qos(conn.state(), AmqpConnection::kChannel, 0,
                 static_cast<uint16_t>(c->options.parallelism), 0);
  HF_CHECK(conn.Check(amqp_get_rpc_reply(conn.state()), "basic.qos"));
  amqp_basic_consume(conn.state(), AmqpConnection::kChannel, Bytes(c->queue), amqp_empty_bytes,
                     /*no_local=*/0, /*no_ack=*/0, /*exclusive=*/0, amqp_empty_table);
  HF_CHECK(conn.Check(amqp_get_rpc_reply(conn.state()), "basic.consume"));
  c->logger.Info("consuming", {{"queue", c->queue}});

  while (!c->stop.load()) {
    HF_CHECK(ApplyVerdicts(conn, *c, delayed, false));
    amqp_maybe_release_buffers(conn.state());
    const Input input = WaitForInput(conn, *c, delayed);
    if (input == Input::kWake) continue;
    amqp_envelope_t env;
    // Bytes arrived: wait for the rest of their frame. Idle: only let the library send its
    // heartbeat, if due.
    timeval tv{0, input == Input::kBroker ? 50 * 1000 : 0};
    const amqp_rpc_reply_t reply = amqp_consume_message(conn.state(), &env, &tv, 0);
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
        reply.library_error == AMQP_STATUS_TIMEOUT) {
      continue;
    }
    if (reply.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
        reply.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
      // Some other frame (e.g. the server closing the channel): read it and decide.
      amqp_frame_t frame;
      timeval wait{1, 0};
      HF_CHECK(conn.CheckStatus(amqp_simple_wait_frame_noblock(conn.state(), &frame, &wait),
                                "reading frame"));
      if (frame.frame_type == AMQP_FRAME_METHOD &&
          (frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD ||
           frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD ||
           frame.payload.method.id == AMQP_BASIC_CANCEL_METHOD)) {
        return conn.CheckStatus(AMQP_STATUS_CONNECTION_CLOSED, "consume (closed by server)");
      }
      continue;
    }
    HF_CHECK(conn.Check(reply, "basic.consume"));
    Verdict v;
    v.tag = env.delivery_tag;
    v.delivery = ToDelivery(env, *c);
    amqp_destroy_envelope(&env);
    pool.Submit([c, v = std::move(v)]() mutable {
      v.result = InvokeHandler(c->handler, v.delivery, *c->counters, c->series, c->logger);
      if (v.result == HandlerResult::kNack) {
        v.due = Clock::now() + RedeliveryDelay(c->options, v.delivery.attempt);
      }
      {
        std::lock_guard lock(c->mu);
        c->verdicts.push_back(std::move(v));
      }
      c->cv.notify_all();
      c->Wake();
    });
  }
  return Ok();
}

// The consuming thread: connect, consume, reconnect with backoff; on stop drain and settle.
void RunConsumption(std::shared_ptr<RabbitMqConsumption> c) {
  WorkerPool pool(c->options.parallelism);
  std::vector<Verdict> delayed;
  std::unique_ptr<AmqpConnection> conn;
  int failures = 0;
  while (!c->stop.load()) {
    auto opened = AmqpConnection::Open(c->url, c->timeout, /*heartbeat_seconds=*/10);
    if (opened) {
      conn = std::move(*opened);
      delayed.clear();  // unacked deliveries of a lost connection are requeued by RabbitMQ
      auto r = ConsumeOnce(*conn, c, pool, delayed);
      if (r || c->stop.load()) break;
      c->logger.Warn("consumer lost its connection; reconnecting",
                     {{"queue", c->queue}, {"error", r.error().ToString()}});
      failures = 0;
    } else {
      c->logger.Warn("cannot connect; retrying",
                     {{"queue", c->queue}, {"error", opened.error().ToString()}});
    }
    conn.reset();
    // Sleep with jitter, waking early on stop.
    std::unique_lock lock(c->mu);
    c->cv.wait_for(lock, kReconnectBackoff.Delay(++failures), [&] { return c->stop.load(); });
  }
  // Stopping: let running handlers finish, apply their verdicts, then close (which requeues
  // everything still unacked).
  const bool drained = pool.Shutdown(c->drain);
  if (conn && !conn->Broken()) (void)ApplyVerdicts(*conn, *c, delayed, true);
  conn.reset();
  std::lock_guard lock(c->mu);
  c->result = drained ? Ok()
                      : Fail(ErrorCode::kDeadlineExceeded,
                             "handlers still running after " + FormatDuration(c->drain));
  c->done = true;
  c->cv.notify_all();
}

}  // namespace

RabbitMqSubscriber::RabbitMqSubscriber(std::string url, Duration timeout,
                                       std::shared_ptr<Counters> counters, Duration idle_wait)
    : url_(std::move(url)),
      timeout_(timeout),
      counters_(std::move(counters)),
      idle_wait_(idle_wait) {}

RabbitMqSubscriber::~RabbitMqSubscriber() { (void)Stop(kDefaultDrain); }

Result<void> RabbitMqSubscriber::Subscribe(const std::string& topic,
                                           const std::string& subscription, Handler handler,
                                           const SubscribeOptions& options) {
  HF_CHECK(ValidateSubscribe(topic, subscription, options));
  if (!handler) return Fail(ErrorCode::kInvalidArgument, "handler must be set");
  if (options.parallelism > 65535) {
    return Fail(ErrorCode::kInvalidArgument, "parallelism must be <= 65535 for RabbitMQ");
  }
  auto c = std::make_shared<RabbitMqConsumption>();
  c->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (c->wake_fd < 0) {
    return Fail(ErrorCode::kUnavailable, "cannot create an eventfd", std::strerror(errno));
  }
  c->idle_wait = idle_wait_;
  c->url = url_;
  c->timeout = timeout_;
  c->counters = counters_;
  c->topic = topic;
  c->series = detail::ConsumedSeries(topic);
  c->subscription = subscription;
  c->terminal = topic == subscription;
  c->queue = c->terminal ? topic : topic + "-" + subscription;
  c->handler = std::move(handler);
  c->options = options;
  {
    // Declare the topology now so that messages published right after Subscribe returns are
    // kept, and so that an unreachable broker is reported to the caller.
    auto conn = HF_TRY(AmqpConnection::Open(url_, timeout_, 0));
    HF_CHECK(DeclareTopology(*conn, *c));
  }
  std::lock_guard lock(mu_);
  if (stopped_) return Fail(ErrorCode::kInvalidArgument, "subscriber is stopped");
  threads_.emplace_back(RunConsumption, c);
  consumptions_.push_back(std::move(c));
  return Ok();
}

Result<void> RabbitMqSubscriber::Stop(Duration drain) {
  std::lock_guard lock(mu_);
  if (stopped_) return Ok();
  stopped_ = true;
  return StopConsumptions(consumptions_, threads_, drain, [](RabbitMqConsumption& c) { c.Wake(); });
}

}  // namespace hf::broker::detail
