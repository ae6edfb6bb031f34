#pragma once

#include <atomic>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "broker/broker.hpp"
#include "broker/pubsub/google_auth.hpp"
#include "broker/pubsub/pubsub_broker.hpp"
#include "common/http_client.hpp"

namespace hf::broker::detail {

// A message received by Pull.
struct PulledMessage {
  std::string ack_id;
  Message message;
  int delivery_attempt = 1;
};

// The few Pub/Sub REST calls we use, for one project. HTTP errors map to Error codes
// (404 kNotFound, 409 kAlreadyExists, 400 kInvalidArgument, 429/5xx kUnavailable, 504
// kDeadlineExceeded); transport errors come from HttpClient. Thread-safe.
class PubSubClient {
 public:
  explicit PubSubClient(PubSubSettings settings);

  const PubSubSettings& settings() const { return settings_; }
  std::string TopicPath(const std::string& topic) const;
  std::string SubscriptionPath(const std::string& subscription) const;

  // PUT; an existing topic/subscription is fine (its settings are left alone).
  Result<void> EnsureTopic(const std::string& topic);
  Result<void> EnsureSubscription(const std::string& subscription, const std::string& topic,
                                  const nlohmann::json& settings);
  // One publish call (≤ 1000 messages); ok once the server returned an id for each.
  Result<void> Publish(const std::string& topic, const std::vector<Message>& messages);
  // Long poll: waits up to `wait` for messages; aborted when *cancel becomes true.
  Result<std::vector<PulledMessage>> Pull(const std::string& subscription, int max_messages,
                                          Duration wait, const std::atomic<bool>* cancel);
  Result<void> Acknowledge(const std::string& subscription,
                           const std::vector<std::string>& ack_ids);
  Result<void> ModifyAckDeadline(const std::string& subscription,
                                 const std::vector<std::string>& ack_ids, int seconds);

 private:
  Result<nlohmann::json> Call(const std::string& method, const std::string& path,
                              const nlohmann::json& body, Duration timeout,
                              const std::atomic<bool>* cancel = nullptr);

  PubSubSettings settings_;
  std::string base_url_;
  std::unique_ptr<TokenSource> tokens_;  // null for the emulator
  Error token_error_;                    // why tokens_ could not be made, if so
  HttpClient http_;
};

}  // namespace hf::broker::detail
