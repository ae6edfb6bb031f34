#include "broker/pubsub/pubsub_subscriber.hpp"

#include <algorithm>
#include <condition_variable>
#include <optional>

#include "broker/detail/subscription_support.hpp"
#include "broker/detail/worker_pool.hpp"
#include "common/log.hpp"

namespace hf::broker::detail {

using Clock = std::chrono::steady_clock;

// How long one pull may wait for messages. It must outlast the server's own hold (90 s on the
// emulator), so that an idle pull is ended by the server, never abandoned by us: Pub/Sub notices
// an abandoned pull only after a delay, and a message handed to it in that window is leased to
// nobody until its ack deadline passes. Stop still cancels the pull at once.
constexpr auto kPullWait = std::chrono::seconds(120);

// How long an Ack waits for others to share its request. Every Pub/Sub request costs the server
// (and on Google Cloud the bill: at least 1 000 bytes each) about as much as the few ids in it,
// and an Ack is off the delivery path (the ack deadline is at least 10 s). In the bench's e2e
// chain on the emulator (200 clusters at 20/s), acknowledge requests fell from 3.7-6.5 to 1.2-1.3
// per cluster.
constexpr auto kAckLinger = std::chrono::milliseconds(100);
constexpr size_t kMaxIdsPerRequest = 1000;  // ack ids, or nack ids, in one request

// A Nacked message waiting for its backoff before its ack deadline is set to 0.
struct PendingNack {
  std::string ack_id;
  Clock::time_point due;
};

struct PubSubConsumption {
  std::shared_ptr<PubSubClient> client;
  std::shared_ptr<Counters> counters;
  std::string topic;
  detail::ConsumedSeries series;  // of topic
  std::string subscription;
  bool terminal = false;  // a dead-letter subscription: no further dead-lettering
  Handler handler;
  SubscribeOptions options;
  log::Logger logger{"broker.pubsub"};

  std::atomic<bool> stop{false};
  Duration drain{};
  std::mutex mu;  // guards acks, nacks, settle_now, result, done
  std::condition_variable cv;
  std::vector<std::string> acks;  // sent together by the settler: one request per batch
  Clock::time_point acks_since;   // when the oldest of `acks` arrived
  std::vector<PendingNack> nacks;
  bool settle_now = false;  // set at the end of Stop: nack everything, then exit
  Result<void> result;
  bool done = false;
};

namespace {

void Settle(PubSubConsumption& c, const PulledMessage& m, HandlerResult result) {
  if (result == HandlerResult::kNack && !c.terminal &&
      m.delivery_attempt >= c.options.max_delivery_attempts) {
    const std::string dlq = DeadLetterName(c.subscription);
    if (auto r = c.client->Publish(dlq, {m.message}); !r) {
      c.logger.Error("cannot dead-letter; nacking instead",
                     {{"subscription", c.subscription}, {"error", r.error().ToString()}});
    } else {
      c.counters->dead_lettered++;
      c.logger.Warn("message dead-lettered", {{"subscription", c.subscription},
                                              {"message_id", m.message.id},
                                              {"attempts", m.delivery_attempt}});
      result = HandlerResult::kAck;
    }
  }
  // The settler is woken only when its next send time moves: by the first Ack of a batch, a full
  // batch or a Nack (not once per Ack, a context switch each).
  bool wake = true;
  {
    std::lock_guard lock(c.mu);
    if (result == HandlerResult::kAck) {
      if (c.acks.empty()) c.acks_since = Clock::now();
      c.acks.push_back(m.ack_id);
      wake = c.acks.size() == 1 || c.acks.size() >= kMaxIdsPerRequest;
    } else {
      c.nacks.push_back({m.ack_id, Clock::now() + RedeliveryDelay(c.options, m.delivery_attempt)});
    }
  }
  if (wake) c.cv.notify_all();
}

// Sends Acks in batches (those of kAckLinger, at most kMaxIdsPerRequest a request; all at once
// when stopping), and sets the ack deadline of due Nacks to 0, so Pub/Sub redelivers them now.
void RunSettler(std::shared_ptr<PubSubConsumption> c) {
  std::unique_lock lock(c->mu);
  while (true) {
    const auto now = Clock::now();
    if (!c->acks.empty() && (c->settle_now || c->acks.size() >= kMaxIdsPerRequest ||
                             now >= c->acks_since + kAckLinger)) {
      std::vector<std::string> batch;
      const auto n = std::min(c->acks.size(), kMaxIdsPerRequest);
      batch.assign(c->acks.begin(), c->acks.begin() + static_cast<std::ptrdiff_t>(n));
      c->acks.erase(c->acks.begin(), c->acks.begin() + static_cast<std::ptrdiff_t>(n));
      c->acks_since = now;
      lock.unlock();
      if (auto r = c->client->Acknowledge(c->subscription, batch); !r) {
        c->logger.Warn("ack failed; the messages will be redelivered",
                       {{"subscription", c->subscription},
                        {"messages", batch.size()},
                        {"error", r.error().ToString()}});
      }
      lock.lock();
      continue;
    }
    std::vector<std::string> due;
    std::erase_if(c->nacks, [&](const PendingNack& n) {
      if ((n.due > now && !c->settle_now) || due.size() >= kMaxIdsPerRequest) return false;
      due.push_back(n.ack_id);
      return true;
    });
    if (!due.empty()) {
      lock.unlock();
      if (auto r = c->client->ModifyAckDeadline(c->subscription, due, 0); !r) {
        c->logger.Warn("nack failed; redelivery waits for the ack deadline",
                       {{"subscription", c->subscription}, {"error", r.error().ToString()}});
      }
      lock.lock();
      continue;
    }
    if (c->settle_now && c->acks.empty()) return;  // nothing left to send
    std::optional<Clock::time_point> wake;
    if (!c->acks.empty()) wake = c->acks_since + kAckLinger;
    if (!c->nacks.empty()) {
      wake = std::min(wake.value_or(Clock::time_point::max()),
                      std::ranges::min(c->nacks, {}, &PendingNack::due).due);
    }
    if (wake) {
      c->cv.wait_until(lock, *wake);
    } else {
      c->cv.wait(lock);
    }
  }
}

// Pulls while there are free handler slots, one batch ahead: each pull asks for the free slots
// plus `parallelism` more, which wait in the pool's queue. A pull is a round trip of its own
// (~100 ms on the emulator); pulling only for free slots capped a subscription at `parallelism`
// messages per round trip however fast the handlers were. Then drains and settles everything.
void RunPuller(std::shared_ptr<PubSubConsumption> c) {
  std::thread settler(RunSettler, c);
  WorkerPool pool(c->options.parallelism);
  int failures = 0;
  while (!c->stop.load()) {
    const int free = pool.WaitForIdle(std::chrono::milliseconds(200));
    if (free == 0) continue;
    auto pulled =
        c->client->Pull(c->subscription, free + c->options.parallelism, kPullWait, &c->stop);
    if (!pulled) {
      if (c->stop.load()) break;
      c->logger.Warn("pull failed; retrying",
                     {{"subscription", c->subscription}, {"error", pulled.error().ToString()}});
      std::unique_lock lock(c->mu);
      c->cv.wait_for(lock, kReconnectBackoff.Delay(++failures), [&] { return c->stop.load(); });
      continue;
    }
    failures = 0;
    for (auto& m : *pulled) {
      pool.Submit([c, m = std::move(m)] {
        const Delivery d{m.message, c->topic, c->subscription, m.delivery_attempt};
        Settle(*c, m, InvokeHandler(c->handler, d, *c->counters, c->series, c->logger));
      });
    }
  }
  const bool drained = pool.Shutdown(c->drain);
  {
    std::lock_guard lock(c->mu);
    c->settle_now = true;
  }
  c->cv.notify_all();
  settler.join();
  std::lock_guard lock(c->mu);
  c->result = drained ? Ok()
                      : Fail(ErrorCode::kDeadlineExceeded,
                             "handlers still running after " + FormatDuration(c->drain));
  c->done = true;
  c->cv.notify_all();
}

}  // namespace

PubSubSubscriber::~PubSubSubscriber() { (void)Stop(kDefaultDrain); }

Result<void> PubSubSubscriber::Subscribe(const std::string& topic, const std::string& subscription,
                                         Handler handler, const SubscribeOptions& options) {
  HF_CHECK(ValidateSubscribe(topic, subscription, options));
  if (!handler) return Fail(ErrorCode::kInvalidArgument, "handler must be set");
  const bool terminal = topic == subscription;
  if (client_->settings().create_if_missing) {
    const int64_t ack_seconds = std::clamp<int64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(options.ack_deadline).count(), 10, 600);
    nlohmann::json settings = {{"ackDeadlineSeconds", ack_seconds}};
    HF_CHECK(client_->EnsureTopic(topic));
    if (!terminal) {
      const std::string dlq = DeadLetterName(subscription);
      HF_CHECK(client_->EnsureTopic(dlq));
      HF_CHECK(client_->EnsureSubscription(dlq, dlq, {{"ackDeadlineSeconds", 60}}));
      settings["deadLetterPolicy"] = {
          {"deadLetterTopic", client_->TopicPath(dlq)},
          {"maxDeliveryAttempts", std::clamp(options.max_delivery_attempts, 5, 100)}};
    }
    HF_CHECK(client_->EnsureSubscription(subscription, topic, settings));
  }
  auto c = std::make_shared<PubSubConsumption>();
  c->client = client_;
  c->counters = counters_;
  c->topic = topic;
  c->series = detail::ConsumedSeries(topic);
  c->subscription = subscription;
  c->terminal = terminal;
  c->handler = std::move(handler);
  c->options = options;
  std::lock_guard lock(mu_);
  if (stopped_) return Fail(ErrorCode::kInvalidArgument, "subscriber is stopped");
  threads_.emplace_back(RunPuller, c);
  consumptions_.push_back(std::move(c));
  return Ok();
}

Result<void> PubSubSubscriber::Stop(Duration drain) {
  std::lock_guard lock(mu_);
  if (stopped_) return Ok();
  stopped_ = true;
  return StopConsumptions(consumptions_, threads_, drain, [](PubSubConsumption&) {});
}

}  // namespace hf::broker::detail
