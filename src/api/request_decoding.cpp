#include "api/request_decoding.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/json_depth.hpp"
#include "common/strict_json.hpp"
#include "common/text.hpp"
#include "search/search.hpp"
#include "service/validation.hpp"

namespace hf::api {
namespace {

std::unexpected<Error> Invalid(std::string msg) {
  return Fail(ErrorCode::kInvalidArgument, std::move(msg));
}

const char* TypeName(const nlohmann::json& j) {
  if (j.is_object()) return "an object";
  if (j.is_array()) return "an array";
  if (j.is_string()) return "a string";
  if (j.is_boolean()) return "a boolean";
  if (j.is_number()) return "a number";
  return "null";
}

Result<std::map<std::string, std::string>> DecodeLabels(const nlohmann::json& j) {
  if (!j.is_object()) return Invalid("field 'labels' must be an object");
  std::map<std::string, std::string> labels;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_string()) {
      return Invalid("field 'labels." + it.key() + "' must be a string, not " +
                     TypeName(it.value()));
    }
    labels[it.key()] = it.value().get<std::string>();
  }
  return labels;
}

Result<std::string> OptionalString(const nlohmann::json& obj, const char* field) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return std::string{};
  if (!it->is_string()) {
    return Invalid(std::string("field '") + field + "' must be a string, not " + TypeName(*it));
  }
  return it->get<std::string>();
}

Result<int64_t> ParseBoundedInt(const std::string& name, const std::string& text, int64_t min,
                                int64_t max) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  Error e{ErrorCode::kInvalidArgument, "Invalid query parameters", {}, {}};
  if (ec != std::errc{} || p != text.data() + text.size()) {
    e.violations.push_back({name, text, "format", "must be a valid integer"});
  } else if (v < min) {
    e.violations.push_back({name, text, "min", name + " must be at least " + std::to_string(min)});
  } else if (v > max) {
    e.violations.push_back({name, text, "max", name + " must be at most " + std::to_string(max)});
  }
  if (!e.violations.empty()) return Fail(std::move(e));
  return v;
}

// application/json or application/merge-patch+json, with any parameters.
bool IsJsonMediaType(std::string_view content_type) {
  std::string type(Trim(content_type.substr(0, content_type.find(';'))));
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type == "application/json" || type == "application/merge-patch+json";
}

bool IsLowerHex(std::string_view s) {
  return std::ranges::all_of(
      s, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool AllZero(std::string_view s) {
  return std::ranges::all_of(s, [](char c) { return c == '0'; });
}

}  // namespace

std::string ValidTraceparent(std::string_view header) {
  // version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2
  constexpr size_t kLength = 55;
  if (header.size() < kLength) return "";
  const std::string_view version = header.substr(0, 2);
  if (!IsLowerHex(version) || version == "ff") return "";
  if (version == "00" ? header.size() != kLength
                      : header.size() > kLength && header[kLength] != '-') {
    return "";
  }
  const std::string_view trace_id = header.substr(3, 32), parent_id = header.substr(36, 16),
                         flags = header.substr(53, 2);
  if (header[2] != '-' || header[35] != '-' || header[52] != '-' || !IsLowerHex(trace_id) ||
      !IsLowerHex(parent_id) || !IsLowerHex(flags) || AllZero(trace_id) || AllZero(parent_id)) {
    return "";
  }
  return "00-" + std::string(trace_id) + "-" + std::string(parent_id) + "-" + std::string(flags);
}

Result<void> ValidateIdentityHeader(std::string_view identity) {
  const bool control = std::ranges::any_of(
      identity, [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
  if (IsValidUtf8(identity) && !control) return {};
  Error e{ErrorCode::kInvalidArgument, "Invalid X-HyperFleet-Identity header", {}, {}};
  e.violations.push_back(
      {"X-HyperFleet-Identity", "", "format", "must be UTF-8 without control characters"});
  return Fail(std::move(e));
}

Result<nlohmann::json> DecodeObjectBody(const http::Request& req) {
  const std::string& body = req.body;
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return Fail(ErrorCode::kMalformed, "Request body is required but was empty");
  }
  if (!IsJsonMediaType(req.Header("content-type"))) {
    return Fail(ErrorCode::kUnsupportedMediaType, "Content-Type must be application/json, got '" +
                                                      req.Header("content-type").substr(0, 64) +
                                                      "'");
  }
  if (JsonNestedDeeperThan(body)) {
    return Fail(ErrorCode::kMalformed,
                "Request body nests deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  auto parsed = ParseStrictJson(body);
  if (!parsed) {
    Error e = std::move(parsed.error());
    if (e.code == ErrorCode::kMalformed) e.message = "Invalid JSON in request body: " + e.message;
    return Fail(std::move(e));
  }
  nlohmann::json& j = *parsed;
  if (!j.is_object()) {
    return Fail(
        ErrorCode::kMalformed,
        std::string("Invalid request format: body must be a JSON object, not ") + TypeName(j));
  }
  return std::move(j);
}

Result<service::CreateInput> DecodeCreate(const nlohmann::json& body,
                                          const service::KindDescriptor& kind) {
  if (auto it = body.find("spec"); it != body.end() && !it->is_object()) {
    return Invalid("spec field must be an object");
  }
  auto kind_name = HF_TRY(OptionalString(body, "kind"));
  if (kind_name.empty()) return Invalid("kind is required");
  if (kind_name != kind.name) return Invalid("kind must be '" + std::string(kind.name) + "'");
  service::CreateInput in;
  in.name = HF_TRY(OptionalString(body, "name"));
  HF_CHECK(service::ValidateName(kind, in.name));
  auto spec = body.find("spec");
  if (spec == body.end()) return Invalid("spec is required");
  in.spec = *spec;
  if (auto it = body.find("labels"); it != body.end() && !it->is_null()) {
    in.labels = HF_TRY(DecodeLabels(*it));
  }
  return in;
}

Result<service::PatchInput> DecodePatch(const nlohmann::json& body) {
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (it.key() != "spec" && it.key() != "labels") {
      return Fail(ErrorCode::kMalformed, "Invalid request format: unknown field \"" + it.key() +
                                             "\" (only spec and labels can be patched)");
    }
  }
  if (body.empty()) {
    return Fail(ErrorCode::kBadRequest, "at least one field must be provided for update");
  }
  service::PatchInput in;
  if (auto it = body.find("spec"); it != body.end()) {
    if (!it->is_object()) return Invalid("spec field must be an object");
    in.spec = *it;
  }
  if (auto it = body.find("labels"); it != body.end()) in.labels = HF_TRY(DecodeLabels(*it));
  return in;
}

Result<service::StatusReport> DecodeStatusReport(const nlohmann::json& body) {
  service::StatusReport r;
  r.adapter = HF_TRY(OptionalString(body, "adapter"));
  if (r.adapter.empty()) return Invalid("adapter is required");
  auto gen = body.find("observed_generation");
  if (gen == body.end() || gen->is_null()) return Invalid("observed_generation is required");
  if (!gen->is_number_integer()) return Invalid("field 'observed_generation' must be an integer");
  r.observed_generation = gen->get<int64_t>();
  if (r.observed_generation > INT32_MAX) return Invalid("observed_generation is out of range");
  auto observed = HF_TRY(OptionalString(body, "observed_time"));
  if (!observed.empty()) {
    auto t = ParseTime(observed);
    if (!t) return Invalid("observed_time must be an RFC 3339 timestamp, got '" + observed + "'");
    r.observed_time = *t;
  }
  auto conditions = body.find("conditions");
  if (conditions == body.end() || conditions->is_null()) return Invalid("conditions is required");
  if (!conditions->is_array()) return Invalid("field 'conditions' must be an array");
  for (size_t i = 0; i < conditions->size(); ++i) {
    const auto& c = (*conditions)[i];
    if (!c.is_object()) {
      return Invalid("condition at index " + std::to_string(i) + " must be an object");
    }
    model::AdapterCondition ac;
    ac.type = HF_TRY(OptionalString(c, "type"));
    ac.status = HF_TRY(OptionalString(c, "status"));
    ac.reason = HF_TRY(OptionalString(c, "reason"));
    ac.message = HF_TRY(OptionalString(c, "message"));
    r.conditions.push_back(std::move(ac));
  }
  if (auto it = body.find("metadata"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return Invalid("field 'metadata' must be an object");
    r.metadata = *it;
  }
  if (auto it = body.find("data"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return Invalid("field 'data' must be an object");
    r.data = *it;
  }
  return r;
}

Result<std::string> DecodeForceDeleteReason(const nlohmann::json& body) {
  auto reason = HF_TRY(OptionalString(body, "reason"));
  if (reason.empty()) return Invalid("reason is required");
  if (Utf8Length(reason) > 1024) return Invalid("reason must be at most 1024 characters");
  return reason;
}

Result<Paging> DecodePaging(const http::Request& req) {
  Paging p;
  if (auto v = req.Query("page")) p.page = HF_TRY(ParseBoundedInt("page", *v, 1, 100000));
  if (auto v = req.Query("size")) p.size = HF_TRY(ParseBoundedInt("size", *v, 1, 100));
  return p;
}

Result<void> ValidateIgnoredListQuery(const http::Request& req) {
  if (auto search = req.Query("search")) HF_CHECK(search::ParseSearch(*search));
  HF_CHECK(search::ParseOrder(req.QueryAll("order")));
  return {};
}

}  // namespace hf::api
