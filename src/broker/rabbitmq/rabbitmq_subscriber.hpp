#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "broker/broker.hpp"
#include "broker/detail/counters.hpp"

namespace hf::broker::detail {

struct RabbitMqConsumption;

// One consuming thread (own connection) per Subscribe call, handing deliveries to a worker pool
// of `parallelism` threads. See rabbitmq_broker.hpp for topology and redelivery.
//
// The consuming thread applies a handler's verdict (ack, nack) as soon as it is given, and Stop
// wakes it at once; `idle_wait` only bounds how long it sleeps with nothing to do (then it lets
// the library send a due heartbeat).
class RabbitMqSubscriber final : public Subscriber {
 public:
  static constexpr Duration kDefaultIdleWait = std::chrono::milliseconds(200);

  RabbitMqSubscriber(std::string url, Duration timeout, std::shared_ptr<Counters> counters,
                     Duration idle_wait = kDefaultIdleWait);
  ~RabbitMqSubscriber() override;

  Result<void> Subscribe(const std::string& topic, const std::string& subscription_id,
                         Handler handler, const SubscribeOptions& options) override;
  Result<void> Stop(Duration drain) override;

 private:
  const std::string url_;
  const Duration timeout_;
  std::shared_ptr<Counters> counters_;
  const Duration idle_wait_;

  std::mutex mu_;  // guards everything below
  bool stopped_ = false;
  std::vector<std::shared_ptr<RabbitMqConsumption>> consumptions_;
  std::vector<std::thread> threads_;
};

}  // namespace hf::broker::detail
