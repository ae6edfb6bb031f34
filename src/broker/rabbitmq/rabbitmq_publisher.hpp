#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "broker/broker.hpp"
#include "broker/detail/counters.hpp"
#include "broker/rabbitmq/amqp_connection.hpp"

namespace hf::broker::detail {

// Publishes with confirms over one connection, opened on first use and replaced after errors.
// Thread-safe (calls are serialised).
class RabbitMqPublisher final : public Publisher {
 public:
  RabbitMqPublisher(std::string url, Duration timeout, std::shared_ptr<Counters> counters);

  std::vector<Result<void>> Publish(const std::string& topic,
                                    const std::vector<Message>& messages) override;

 private:
  std::vector<Result<void>> PublishLocked(const std::string& topic,
                                          const std::vector<Message>& messages);

  const std::string url_;
  const Duration timeout_;
  std::shared_ptr<Counters> counters_;

  std::mutex mu_;  // guards everything below (held across I/O: one connection, one caller)
  std::unique_ptr<AmqpConnection> conn_;
  std::set<std::string> declared_;  // exchanges declared on conn_
  uint64_t next_tag_ = 1;           // delivery tag of the next publish on conn_
};

// Sends one persistent message on `conn` (no confirm wait). `attempt_count` is written as
// header x-delivery-count when > 0.
Result<void> PublishOne(AmqpConnection& conn, const std::string& exchange,
                        const std::string& routing_key, const Message& message, int attempt_count);

}  // namespace hf::broker::detail
