#include "auth/issuer_config.hpp"

#include <yaml-cpp/yaml.h>

#include <array>
#include <regex>
#include <string_view>

#include "model/adapter_status.hpp"

namespace hf::auth {
namespace {

constexpr std::array<std::string_view, 11> kKeys{
    "issuer_url",          "jwks_url", "jwks_file",   "ca_file",  "audience",
    "identity_claim",      "role",     "roles_claim", "role_map", "adapter_name_claim",
    "adapter_name_pattern"};

std::unexpected<Error> Bad(const std::string& where, const std::string& why) {
  return Fail(ErrorCode::kInvalidArgument, where + ": " + why);
}

Result<std::string> Scalar(const YAML::Node& node, const std::string& where) {
  if (!node.IsScalar()) return Bad(where, "must be a string");
  return node.as<std::string>();
}

Result<Role> RoleValue(const YAML::Node& node, const std::string& where) {
  const std::string text = HF_TRY(Scalar(node, where));
  if (auto role = ParseRole(text)) return *role;
  return Bad(where, "must be admin, reader or adapter, got '" + text + "'");
}

Result<IssuerConfig> ParseIssuer(const YAML::Node& item, const std::string& where) {
  if (!item.IsMap()) return Bad(where, "must be a map with issuer_url, jwks_url, ...");
  IssuerConfig issuer;
  for (const auto& entry : item) {
    const std::string key = entry.first.as<std::string>();
    const YAML::Node& value = entry.second;
    const std::string at = where + "." + key;
    if (key == "issuer_url") {
      issuer.issuer_url = HF_TRY(Scalar(value, at));
    } else if (key == "jwks_url") {
      issuer.jwks_url = HF_TRY(Scalar(value, at));
    } else if (key == "jwks_file") {
      issuer.jwks_file = HF_TRY(Scalar(value, at));
    } else if (key == "ca_file") {
      issuer.ca_file = HF_TRY(Scalar(value, at));
    } else if (key == "audience") {
      issuer.audience = HF_TRY(Scalar(value, at));
    } else if (key == "identity_claim") {
      issuer.identity_claim = HF_TRY(Scalar(value, at));
    } else if (key == "role") {
      issuer.role = HF_TRY(RoleValue(value, at));
    } else if (key == "roles_claim") {
      issuer.roles_claim = HF_TRY(Scalar(value, at));
    } else if (key == "adapter_name_claim") {
      issuer.adapter_name_claim = HF_TRY(Scalar(value, at));
    } else if (key == "adapter_name_pattern") {
      issuer.adapter_name_pattern = HF_TRY(Scalar(value, at));
    } else if (key == "role_map") {
      if (!value.IsMap() && !value.IsNull()) return Bad(at, "must be a map of value: role");
      for (const auto& mapping : value) {
        const std::string name = mapping.first.as<std::string>();
        issuer.role_map[name] = HF_TRY(RoleValue(mapping.second, at + "." + name));
      }
    } else {
      std::string known;
      for (std::string_view k : kKeys) known += (known.empty() ? "" : ", ") + std::string(k);
      return Bad(where, "unknown key '" + key + "' (known: " + known + ")");
    }
  }
  if (issuer.issuer_url.empty()) return Bad(where + ".issuer_url", "is required");
  if (auto valid = ValidateIssuer(issuer); !valid) {
    return Fail(ErrorCode::kInvalidArgument, where + "." + valid.error().message);
  }
  return issuer;
}

}  // namespace

Result<void> ValidateIssuer(const IssuerConfig& issuer) {
  auto bad = [](std::string_view key, const std::string& why) {
    return Fail(ErrorCode::kInvalidArgument, std::string(key) + ": " + why);
  };
  if (!IsHttpUrl(issuer.issuer_url)) {
    return bad("issuer_url", "must be an http(s) URL, got '" + issuer.issuer_url + "'");
  }
  if (!issuer.jwks_url.empty() && !IsHttpUrl(issuer.jwks_url)) {
    return bad("jwks_url", "must be an http(s) URL, got '" + issuer.jwks_url + "'");
  }
  if (!issuer.jwks_url.empty() && !issuer.jwks_file.empty()) {
    return bad("jwks_file", "set either jwks_file or jwks_url, not both");
  }
  if (issuer.identity_claim.empty()) return bad("identity_claim", "must not be empty");
  if (!issuer.adapter_name_pattern.empty()) {
    if (issuer.adapter_name_claim.empty()) {
      return bad(
          "adapter_name_pattern",
          "needs adapter_name_claim, the claim it applies to (issuer " + issuer.issuer_url + ")");
    }
    auto pattern = CompileAdapterNamePattern(issuer.adapter_name_pattern);
    if (!pattern) {
      return bad("adapter_name_pattern",
                 pattern.error().message + " (issuer " + issuer.issuer_url + ")");
    }
  }
  return Ok();
}

Result<std::regex> CompileAdapterNamePattern(const std::string& pattern) {
  try {
    std::regex compiled(pattern, std::regex::ECMAScript);
    if (compiled.mark_count() != 1) {
      return Fail(ErrorCode::kInvalidArgument,
                  "'" + pattern + "' must have exactly one capture group (the adapter name), has " +
                      std::to_string(compiled.mark_count()));
    }
    return compiled;
  } catch (const std::regex_error& e) {
    return Fail(ErrorCode::kInvalidArgument,
                "'" + pattern + "' is not a valid regular expression: " + e.what());
  }
}

std::string AdapterNameFrom(const std::string& value, const std::regex* pattern) {
  constexpr size_t kMaxValueSize = 512;  // a Kubernetes service-account subject is under 320
  if (value.size() > kMaxValueSize) return {};
  std::string name = value;
  if (pattern != nullptr) {
    std::smatch match;
    if (!std::regex_match(value, match, *pattern)) return {};
    name = match[1].str();
  }
  return model::IsAdapterName(name) ? name : std::string();
}

bool IsHttpUrl(std::string_view url) {
  for (std::string_view scheme : {"https://", "http://"}) {
    if (url.starts_with(scheme)) {
      const std::string_view rest = url.substr(scheme.size());
      return !rest.empty() && rest.front() != '/' && rest.find_first_of(" \t\r\n") == rest.npos;
    }
  }
  return false;
}

Result<std::vector<IssuerConfig>> ParseIssuers(const YAML::Node& node) {
  std::vector<IssuerConfig> issuers;
  if (!node || node.IsNull()) return issuers;
  if (!node.IsSequence()) return Bad("auth.issuers", "must be a list of issuers");
  try {
    for (size_t i = 0; i < node.size(); ++i) {
      issuers.push_back(HF_TRY(ParseIssuer(node[i], "auth.issuers[" + std::to_string(i) + "]")));
    }
  } catch (const YAML::Exception& e) {
    return Bad("auth.issuers", e.what());
  }
  return issuers;
}

}  // namespace hf::auth
