#include "broker/pubsub/pubsub_client.hpp"

#include "common/base64.hpp"
#include "common/file.hpp"

namespace hf::broker::detail {
namespace {

constexpr const char* kScope = "https://www.googleapis.com/auth/pubsub";

}  // namespace

PubSubClient::PubSubClient(PubSubSettings settings) : settings_(std::move(settings)) {
  if (!settings_.emulator_host.empty()) {
    base_url_ = "http://" + settings_.emulator_host + "/v1/";
    return;
  }
  base_url_ = "https://pubsub.googleapis.com/v1/";
  if (settings_.credentials_file.empty()) {
    tokens_ = MetadataTokenSource(settings_.timeout);
    return;
  }
  const auto text = ReadFile(settings_.credentials_file);
  auto key = text ? ParseServiceAccountKey(*text)
                  : Fail(ErrorCode::kInvalidArgument,
                         "cannot read credentials file " + settings_.credentials_file);
  if (key) {
    tokens_ = ServiceAccountTokenSource(*key, kScope, settings_.timeout);
  } else {
    token_error_ = key.error();
  }
}

std::string PubSubClient::TopicPath(const std::string& topic) const {
  return "projects/" + settings_.project + "/topics/" + topic;
}

std::string PubSubClient::SubscriptionPath(const std::string& subscription) const {
  return "projects/" + settings_.project + "/subscriptions/" + subscription;
}

Result<nlohmann::json> PubSubClient::Call(const std::string& method, const std::string& path,
                                          const nlohmann::json& body, Duration timeout,
                                          const std::atomic<bool>* cancel) {
  HttpRequest req;
  req.method = method;
  req.url = base_url_ + path;
  req.headers = {{"Content-Type", "application/json"}};
  req.body = body.dump();
  req.timeout = timeout;
  req.connect_timeout = std::min(settings_.timeout, timeout);
  req.cancel = cancel;
  if (settings_.emulator_host.empty()) {
    if (!tokens_) return Fail(token_error_);
    auto token = HF_TRY(tokens_->Token());
    req.headers.emplace_back("Authorization", "Bearer " + token);
  }
  auto resp = HF_TRY(http_.Send(req));
  auto j = nlohmann::json::parse(resp.body, nullptr, false);
  if (!resp.Ok()) {
    std::string text = resp.body.substr(0, 300);
    std::string status;  // Google's canonical code, e.g. ALREADY_EXISTS
    if (!j.is_discarded() && j.contains("error") && j["error"].is_object()) {
      text = j["error"].value("message", text);
      status = j["error"].value("status", "");
    }
    ErrorCode code = ErrorCodeForStatus(resp.status);
    // Google answers 409 for ALREADY_EXISTS (creating a topic or subscription twice) and ABORTED.
    if (code == ErrorCode::kConflict && status != "ABORTED") code = ErrorCode::kAlreadyExists;
    return Fail(code, "Pub/Sub " + method + " " + path + " failed",
                "HTTP " + std::to_string(resp.status) + ": " + text);
  }
  if (j.is_discarded()) return Fail(ErrorCode::kInternal, "Pub/Sub answered with invalid JSON");
  return j;
}

Result<void> PubSubClient::EnsureTopic(const std::string& topic) {
  auto r = Call("PUT", TopicPath(topic), nlohmann::json::object(), settings_.timeout);
  if (!r && r.error().code != ErrorCode::kAlreadyExists) return Fail(r.error());
  return Ok();
}

Result<void> PubSubClient::EnsureSubscription(const std::string& subscription,
                                              const std::string& topic,
                                              const nlohmann::json& settings) {
  nlohmann::json body = settings;
  body["topic"] = TopicPath(topic);
  auto r = Call("PUT", SubscriptionPath(subscription), body, settings_.timeout);
  if (!r && r.error().code != ErrorCode::kAlreadyExists) return Fail(r.error());
  return Ok();
}

Result<void> PubSubClient::Publish(const std::string& topic, const std::vector<Message>& messages) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& m : messages) {
    nlohmann::json attributes = m.attributes;
    attributes["_watermill_message_uuid"] = m.id;  // the id, as Go consumers read it
    list.push_back({{"data", Base64Encode(m.body)}, {"attributes", attributes}});
  }
  auto r = Call("POST", TopicPath(topic) + ":publish", {{"messages", list}}, settings_.timeout);
  if (!r) return Fail(r.error());
  if (!r->contains("messageIds") || (*r)["messageIds"].size() != messages.size()) {
    return Fail(ErrorCode::kInternal, "Pub/Sub publish answered without all message ids");
  }
  return Ok();
}

Result<std::vector<PulledMessage>> PubSubClient::Pull(const std::string& subscription,
                                                      int max_messages, Duration wait,
                                                      const std::atomic<bool>* cancel) {
  // The server holds the request open until messages arrive or its own limit; our deadline
  // ends it after `wait`, which just means "nothing yet".
  auto r = Call("POST", SubscriptionPath(subscription) + ":pull",
                {{"maxMessages", max_messages}, {"returnImmediately", false}}, wait, cancel);
  if (!r && r.error().code == ErrorCode::kDeadlineExceeded) return std::vector<PulledMessage>{};
  if (!r) return Fail(r.error());
  std::vector<PulledMessage> out;
  const nlohmann::json received = r->value("receivedMessages", nlohmann::json::array());
  for (const auto& rm : received) {
    PulledMessage p;
    p.ack_id = rm.value("ackId", "");
    p.delivery_attempt = std::max(1, rm.value("deliveryAttempt", 1));
    const nlohmann::json m = rm.value("message", nlohmann::json::object());
    p.message.body = Base64Decode(m.value("data", "")).value_or("");
    const nlohmann::json attributes = m.value("attributes", nlohmann::json::object());
    for (const auto& [k, v] : attributes.items()) {
      if (!v.is_string()) continue;
      if (k == "_watermill_message_uuid") {
        p.message.id = v.get<std::string>();
      } else {
        p.message.attributes[k] = v.get<std::string>();
      }
    }
    if (p.message.id.empty()) p.message.id = m.value("messageId", "");
    out.push_back(std::move(p));
  }
  return out;
}

Result<void> PubSubClient::Acknowledge(const std::string& subscription,
                                       const std::vector<std::string>& ack_ids) {
  auto r = Call("POST", SubscriptionPath(subscription) + ":acknowledge", {{"ackIds", ack_ids}},
                settings_.timeout);
  return r ? Ok() : Fail(r.error());
}

Result<void> PubSubClient::ModifyAckDeadline(const std::string& subscription,
                                             const std::vector<std::string>& ack_ids, int seconds) {
  auto r = Call("POST", SubscriptionPath(subscription) + ":modifyAckDeadline",
                {{"ackIds", ack_ids}, {"ackDeadlineSeconds", seconds}}, settings_.timeout);
  return r ? Ok() : Fail(r.error());
}

}  // namespace hf::broker::detail
