#include "service/validation.hpp"

#include <regex>

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

Result<void> ValidateLabels(const std::map<std::string, std::string>& labels) {
  Error error{ErrorCode::kInvalidArgument, "label validation failed", {}, {}};
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

}  // namespace hf::service
