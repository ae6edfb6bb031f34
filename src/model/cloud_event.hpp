#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace hf::model {

// A CloudEvents 1.0 event in structured JSON mode (content type application/cloudevents+json).
struct CloudEvent {
  std::string id;
  std::string source;
  std::string type;
  std::string subject;
  std::string time;  // RFC 3339
  std::string datacontenttype = "application/json";
  std::string traceparent;  // W3C trace context extension; empty when absent
  nlohmann::json data = nlohmann::json::object();

  [[nodiscard]] nlohmann::json ToJson() const;
  [[nodiscard]] std::string Encode() const {
    return ToJson().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  // Decodes and validates: specversion must be "1.0"; id, type and source are required strings.
  static Result<CloudEvent> Decode(std::string_view text);
  static Result<CloudEvent> FromJson(const nlohmann::json& j);
};

inline constexpr std::string_view kCloudEventsContentType = "application/cloudevents+json";

}  // namespace hf::model
