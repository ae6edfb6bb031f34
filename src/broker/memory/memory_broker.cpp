#include "broker/memory/memory_broker.hpp"

#include <condition_variable>
#include <thread>

#include "broker/detail/broker_metrics.hpp"
#include "broker/detail/counters.hpp"
#include "broker/detail/subscription_support.hpp"
#include "broker/memory/memory_hub.hpp"
#include "common/log.hpp"

namespace hf::broker {
namespace {

using detail::Counters;
using detail::MemoryEntry;
using detail::MemoryHub;
using detail::MemoryQueue;

class MemoryPublisher final : public Publisher {
 public:
  MemoryPublisher(std::shared_ptr<MemoryHub> hub, std::shared_ptr<Counters> counters)
      : hub_(std::move(hub)), counters_(std::move(counters)) {}

  std::vector<Result<void>> Publish(const std::string& topic,
                                    const std::vector<Message>& messages) override {
    // The whole batch is queued at once: the consumers are woken once, not once per message.
    auto valid = detail::ValidateName("topic", topic);
    if (valid) {
      hub_->Publish(topic, messages);
      counters_->published += messages.size();
    } else {
      counters_->publish_errors += messages.size();
    }
    std::vector<Result<void>> results(messages.size(), valid);
    detail::RecordPublished(topic, results);
    return results;
  }

 private:
  std::shared_ptr<MemoryHub> hub_;
  std::shared_ptr<Counters> counters_;
};

// What the consumer threads of one subscription share; owned jointly so that threads abandoned
// by a Stop that timed out stay valid.
struct Consumption {
  std::shared_ptr<MemoryHub> hub;
  std::shared_ptr<MemoryQueue> queue;
  std::shared_ptr<Counters> counters;
  std::string topic;
  detail::ConsumedSeries series;  // of topic
  std::string subscription;
  Handler handler;
  SubscribeOptions options;
  std::atomic<bool> stop{false};
  std::mutex mu;  // guards live_threads
  std::condition_variable cv;
  int live_threads = 0;
};

void Consume(std::shared_ptr<Consumption> c) {
  const log::Logger logger("broker.memory");
  while (auto entry = c->queue->Take(c->stop)) {
    Delivery delivery{std::move(entry->message), c->topic, c->subscription, entry->attempt};
    const HandlerResult result =
        detail::InvokeHandler(c->handler, delivery, *c->counters, c->series, logger);
    if (result == HandlerResult::kAck) continue;
    if (delivery.attempt >= c->options.max_delivery_attempts) {
      const std::string dlq = DeadLetterName(c->subscription);
      c->hub->Publish(dlq, {delivery.message});
      c->counters->dead_lettered++;
      logger.Warn("message dead-lettered", {{"subscription", c->subscription},
                                            {"message_id", delivery.message.id},
                                            {"attempts", delivery.attempt}});
      continue;
    }
    std::vector<MemoryEntry> retry;
    retry.push_back(MemoryEntry{
        std::move(delivery.message), delivery.attempt + 1,
        std::chrono::steady_clock::now() + detail::RedeliveryDelay(c->options, delivery.attempt)});
    c->queue->Push(std::move(retry));
  }
  std::lock_guard lock(c->mu);
  c->live_threads--;
  c->cv.notify_all();
}

class MemorySubscriber final : public Subscriber {
 public:
  MemorySubscriber(std::shared_ptr<MemoryHub> hub, std::shared_ptr<Counters> counters)
      : hub_(std::move(hub)), counters_(std::move(counters)) {}
  ~MemorySubscriber() override { (void)Stop(kDefaultDrain); }

  Result<void> Subscribe(const std::string& topic, const std::string& subscription, Handler handler,
                         const SubscribeOptions& options) override {
    HF_CHECK(detail::ValidateSubscribe(topic, subscription, options));
    if (!handler) return Fail(ErrorCode::kInvalidArgument, "handler must be set");
    const std::string dlq = DeadLetterName(subscription);
    hub_->Queue(dlq, dlq);  // keeps dead letters until someone reads them
    auto c = std::make_shared<Consumption>();
    c->hub = hub_;
    c->queue = hub_->Queue(topic, subscription);
    c->counters = counters_;
    c->topic = topic;
    c->series = detail::ConsumedSeries(topic);
    c->subscription = subscription;
    c->handler = std::move(handler);
    c->options = options;
    c->live_threads = options.parallelism;
    std::lock_guard lock(mu_);
    if (stopped_) return Fail(ErrorCode::kInvalidArgument, "subscriber is stopped");
    for (int i = 0; i < options.parallelism; ++i) threads_.emplace_back(Consume, c);
    consumptions_.push_back(std::move(c));
    return Ok();
  }

  Result<void> Stop(Duration drain) override {
    std::lock_guard lock(mu_);
    if (stopped_) return Ok();
    stopped_ = true;
    for (auto& c : consumptions_) {
      c->stop = true;
      c->queue->Wake();
    }
    const auto deadline = std::chrono::steady_clock::now() + drain;
    bool drained = true;
    for (auto& c : consumptions_) {
      std::unique_lock clock(c->mu);
      drained &= c->cv.wait_until(clock, deadline, [&] { return c->live_threads == 0; });
    }
    for (auto& t : threads_) {
      if (drained) {
        t.join();
      } else {
        t.detach();
      }
    }
    threads_.clear();
    if (!drained) {
      return Fail(ErrorCode::kDeadlineExceeded,
                  "handlers still running after " + FormatDuration(drain));
    }
    return Ok();
  }

 private:
  std::shared_ptr<MemoryHub> hub_;
  std::shared_ptr<Counters> counters_;
  std::mutex mu_;  // guards everything below
  bool stopped_ = false;
  std::vector<std::shared_ptr<Consumption>> consumptions_;
  std::vector<std::thread> threads_;
};

class MemoryBroker final : public Broker {
 public:
  explicit MemoryBroker(std::shared_ptr<MemoryHub> hub) : hub_(std::move(hub)) {}
  std::string Type() const override { return "memory"; }
  Result<std::unique_ptr<Publisher>> NewPublisher() override {
    return std::make_unique<MemoryPublisher>(hub_, counters_);
  }
  Result<std::unique_ptr<Subscriber>> NewSubscriber() override {
    return std::make_unique<MemorySubscriber>(hub_, counters_);
  }
  BrokerStats Stats() const override { return counters_->Snapshot(); }

 private:
  std::shared_ptr<MemoryHub> hub_;
  std::shared_ptr<Counters> counters_ = std::make_shared<Counters>();
};

}  // namespace

std::shared_ptr<Broker> OpenMemoryBroker(const std::string& name) {
  return std::make_shared<MemoryBroker>(MemoryHub::Named(name));
}

}  // namespace hf::broker
