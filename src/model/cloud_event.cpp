#include "model/cloud_event.hpp"

#include "common/json_depth.hpp"

namespace hf::model {

nlohmann::json CloudEvent::ToJson() const {
  nlohmann::json j = {{"specversion", "1.0"}, {"id", id},     {"source", source},
                      {"type", type},         {"time", time}, {"datacontenttype", datacontenttype},
                      {"data", data}};
  if (!subject.empty()) j["subject"] = subject;
  if (!traceparent.empty()) j["traceparent"] = traceparent;
  return j;
}

Result<CloudEvent> CloudEvent::Decode(std::string_view text) {
  if (JsonNestedDeeperThan(text)) {
    return Fail(ErrorCode::kMalformed,
                "cloudevent nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return Fail(ErrorCode::kMalformed, "cloudevent is not valid JSON");
  return FromJson(j);
}

Result<CloudEvent> CloudEvent::FromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Fail(ErrorCode::kMalformed, "cloudevent must be a JSON object");
  auto text = [&](const char* name, bool required) -> Result<std::string> {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) {
      if (required) {
        return Fail(ErrorCode::kMalformed,
                    std::string("cloudevent is missing required attribute '") + name + "'");
      }
      return std::string{};
    }
    if (!it->is_string()) {
      return Fail(ErrorCode::kMalformed,
                  std::string("cloudevent attribute '") + name + "' must be a string");
    }
    if (required && it->get_ref<const std::string&>().empty()) {
      return Fail(ErrorCode::kMalformed,
                  std::string("cloudevent attribute '") + name + "' must not be empty");
    }
    return it->get<std::string>();
  };
  auto specversion = HF_TRY(text("specversion", true));
  if (specversion != "1.0") {
    return Fail(ErrorCode::kMalformed,
                "cloudevent specversion '" + specversion + "' is not supported (want 1.0)");
  }
  CloudEvent e;
  e.id = HF_TRY(text("id", true));
  e.type = HF_TRY(text("type", true));
  e.source = HF_TRY(text("source", true));
  e.subject = HF_TRY(text("subject", false));
  e.time = HF_TRY(text("time", false));
  e.traceparent = HF_TRY(text("traceparent", false));
  auto dct = HF_TRY(text("datacontenttype", false));
  if (!dct.empty()) e.datacontenttype = dct;
  if (auto it = j.find("data"); it != j.end()) e.data = *it;
  return e;
}

}  // namespace hf::model
