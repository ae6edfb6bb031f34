#pragma once

#include <map>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "auth/role.hpp"
#include "common/result.hpp"

namespace YAML {
class Node;
}

namespace hf::auth {

// One trusted token issuer: one item of the `auth.issuers` config list (README: Authentication).
struct IssuerConfig {
  std::string issuer_url;  // must equal the token's `iss`
  // Where the keys come from: jwks_file (re-read when it changes), else jwks_url, else OIDC
  // discovery (issuer_url + /.well-known/openid-configuration → jwks_uri).
  std::string jwks_url;
  std::string jwks_file;
  std::string ca_file;                   // trust for jwks_url/discovery over HTTPS
  std::string audience;                  // `aud` must contain it; empty: not checked
  std::string identity_claim = "email";  // the claim that names the caller (`sub` for k8s SAs)
  Role role = Role::kAdmin;              // the role of every token of this issuer ...
  std::string roles_claim;               // ... raised by this claim's values (string or list)
  std::map<std::string, Role> role_map;  //     that this map names
  // The adapter a token may report statuses for (role adapter: only under that name): this
  // claim's string value, e.g. a custom claim "hyperfleet.io/adapter", or "sub"; empty: tokens of
  // this issuer name no adapter, so adapter-role tokens may not report.
  std::string adapter_name_claim;
  // Optional: a regular expression (ECMAScript, whole value) with exactly one capture group
  // that cuts the adapter name out of that claim, e.g.
  // "^system:serviceaccount:hyperfleet:(.+)-adapter$" for Kubernetes service accounts. A value
  // it does not match names no adapter.
  std::string adapter_name_pattern;
};

// Parses the `auth.issuers` YAML list. Errors are one line naming the item and key, e.g.
// "auth.issuers[1].role: must be admin, reader or adapter, got 'root'".
// An absent or null node is an empty list. The items are closed maps: an unknown key is an error.
Result<std::vector<IssuerConfig>> ParseIssuers(const YAML::Node& node);

// Checks one issuer on its own: issuer_url (and jwks_url, if set) an http(s) URL, jwks_file
// and jwks_url not both set, identity_claim non-empty, adapter_name_pattern (if set) a valid
// regular expression with one capture group and set only with adapter_name_claim. The
// kInvalidArgument message starts with the key, e.g. "jwks_url: ...", for callers to prefix
// with where the item came from.
Result<void> ValidateIssuer(const IssuerConfig& issuer);

// adapter_name_pattern compiled (ECMAScript); InvalidArgument, quoting the pattern, when it is
// not a regular expression or has not exactly one capture group.
Result<std::regex> CompileAdapterNamePattern(const std::string& pattern);

// The adapter that `value` (a token's adapter_name_claim) names: the capture group of `pattern`
// (nullptr: the whole value); "" when the pattern does not match, the value is over 512
// characters (such never reach the regex engine, which recurses per character), or the result is
// not an adapter name (model::kAdapterNamePattern).
std::string AdapterNameFrom(const std::string& value, const std::regex* pattern);

// Whether `url` is http(s)://host..., as issuer_url, jwks_url and a discovered jwks_uri must be.
bool IsHttpUrl(std::string_view url);

}  // namespace hf::auth
