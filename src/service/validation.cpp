#include "service/validation.hpp"

#include <regex>

#include "common/text.hpp"

namespace hf::service {
namespace {

bool MatchesName(const std::string& s) {
  static const std::regex re("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
  return std::regex_match(s, re);
}

bool ValidLabelName(const std::string& s) {
  static const std::regex re("^[a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?$");
  return !s.empty() && s.size() <= 63 && std::regex_match(s, re);
}

bool ValidDnsSubdomain(const std::string& s) {
  static const std::regex segment("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (start <= s.size()) {
    size_t dot = s.find('.', start);
    if (dot == std::string::npos) dot = s.size();
    std::string part = s.substr(start, dot - start);
    if (part.empty() || part.size() > 63 || !std::regex_match(part, segment)) return false;
    start = dot + 1;
  }
  return true;
}

bool ValidLabelKey(const std::string& key) {
  if (key.empty() || key.size() > 255) return false;
  auto slash = key.find('/');
  if (slash == std::string::npos) return ValidLabelName(key);
  return ValidDnsSubdomain(key.substr(0, slash)) && ValidLabelName(key.substr(slash + 1));
}

bool ValidLabelValue(const std::string& v) {
  static const std::regex re("^([a-zA-Z0-9]([a-zA-Z0-9._-]*[a-zA-Z0-9])?)?$");
  return v.size() <= 63 && std::regex_match(v, re);
}

}  // namespace

Result<void> ValidateName(const KindDescriptor& kind, const std::string& name) {
  if (name.empty()) return Fail(ErrorCode::kInvalidArgument, "name is required");
  if (static_cast<int>(name.size()) < kind.name_min_length) {
    return Fail(ErrorCode::kInvalidArgument,
                "name must be at least " + std::to_string(kind.name_min_length) + " characters");
  }
  if (static_cast<int>(name.size()) > kind.name_max_length) {
    return Fail(ErrorCode::kInvalidArgument,
                "name must be at most " + std::to_string(kind.name_max_length) + " characters");
  }
  if (!MatchesName(name)) {
    return Fail(ErrorCode::kInvalidArgument,
                "name must start and end with lowercase letter or number, and contain only "
                "lowercase letters, numbers, and hyphens");
  }
  return {};
}

Result<void> ValidateLabels(const std::map<std::string, std::string>& labels,
                            const Limits& limits) {
  Error error{ErrorCode::kInvalidArgument, "label validation failed", {}, {}};
  if (labels.size() > static_cast<size_t>(limits.labels_max_count)) {
    error.violations.push_back({"labels", std::to_string(labels.size()), "max",
                                "at most " + std::to_string(limits.labels_max_count) +
                                    " labels are allowed (labels_max_count)"});
    return Fail(std::move(error));
  }
  for (const auto& [key, value] : labels) {
    if (!ValidLabelKey(key)) {
      error.violations.push_back({"labels", key, "pattern",
                                  "label key '" + key +
                                      "' must be an optional DNS subdomain prefix and '/' "
                                      "followed by a name of at most 63 characters"});
    }
    if (!ValidLabelValue(value)) {
      error.violations.push_back(
          {"labels[" + key + "]", value, "pattern",
           "label value must be at most 63 characters of letters, digits, '-', '_' or '.', "
           "starting and ending with a letter or digit"});
    }
  }
  if (!error.violations.empty()) return Fail(std::move(error));
  return {};
}

Result<void> ValidateSpecSize(const nlohmann::json& spec, const Limits& limits) {
  const size_t bytes = spec.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size();
  if (bytes <= static_cast<size_t>(limits.spec_max_bytes)) return {};
  std::string message = "spec is " + std::to_string(bytes) + " bytes as JSON; at most " +
                        std::to_string(limits.spec_max_bytes) + " are allowed (spec_max_bytes)";
  Error error{ErrorCode::kInvalidArgument, message, {}, {}};
  error.violations.push_back({"spec", "", "max_length", std::move(message)});
  return Fail(std::move(error));
}

Result<void> ValidateReportSize(const StatusReport& report, const Limits& limits) {
  Error error{ErrorCode::kInvalidArgument, "status report exceeds limits", {}, {}};
  auto over = [&](std::string field, std::string constraint, size_t actual, int limit,
                  const char* unit, const char* setting) {
    error.violations.push_back(
        {std::move(field), std::to_string(actual), std::move(constraint),
         "at most " + std::to_string(limit) + " " + unit + " are allowed (" + setting + ")"});
  };
  if (report.conditions.size() > static_cast<size_t>(limits.conditions_max_count)) {
    over("conditions", "max", report.conditions.size(), limits.conditions_max_count, "conditions",
         "conditions_max_count");
  }
  for (size_t i = 0; i < report.conditions.size(); ++i) {
    const auto& c = report.conditions[i];
    const std::string at = "conditions[" + std::to_string(i) + "].";
    if (size_t n = Utf8Length(c.reason);
        n > static_cast<size_t>(limits.condition_reason_max_length)) {
      over(at + "reason", "max_length", n, limits.condition_reason_max_length, "characters",
           "condition_reason_max_length");
    }
    if (size_t n = Utf8Length(c.message);
        n > static_cast<size_t>(limits.condition_message_max_length)) {
      over(at + "message", "max_length", n, limits.condition_message_max_length, "characters",
           "condition_message_max_length");
    }
  }
  if (report.data) {
    const size_t bytes =
        report.data->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size();
    if (bytes > static_cast<size_t>(limits.status_data_max_bytes)) {
      over("data", "max_length", bytes, limits.status_data_max_bytes, "bytes of JSON",
           "status_data_max_bytes");
    }
  }
  if (!error.violations.empty()) return Fail(std::move(error));
  return {};
}

}  // namespace hf::service
