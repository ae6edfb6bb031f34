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
class RabbitMqSubscriber final : public Subscriber {
 public:
  RabbitMqSubscriber(std::string url, Duration timeout, std::shared_ptr<Counters> counters);
  ~RabbitMqSubscriber() override;

  Result<void> Subscribe(const std::string& topic, const std::string& subscription_id,
                         Handler handler, const SubscribeOptions& options) override;
  Result<void> Stop(Duration drain) override;

 private:
  const std::string url_;
  const Duration timeout_;
  std::shared_ptr<Counters> counters_;

  std::mutex mu_;  // guards everything below
  bool stopped_ = false;
  std::vector<std::shared_ptr<RabbitMqConsumption>> consumptions_;
  std::vector<std::thread> threads_;
};

}  // namespace hf::broker::detail
