#pragma once

#include <map>
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
};

// Parses the `auth.issuers` YAML list. Errors are one line naming the item and key, e.g.
// "auth.issuers[1].role: must be admin, reader or adapter, got 'root'".
// An absent or null node is an empty list. The items are closed maps: an unknown key is an error.
Result<std::vector<IssuerConfig>> ParseIssuers(const YAML::Node& node);

// Checks one issuer on its own: issuer_url (and jwks_url, if set) an http(s) URL, jwks_file
// and jwks_url not both set, identity_claim non-empty. The kInvalidArgument message starts
// with the key, e.g. "jwks_url: ...", for callers to prefix with where the item came from.
Result<void> ValidateIssuer(const IssuerConfig& issuer);

// Whether `url` is http(s)://host..., as issuer_url, jwks_url and a discovered jwks_uri must be.
bool IsHttpUrl(std::string_view url);

}  // namespace hf::auth
