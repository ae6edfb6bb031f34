#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "common/http_client.hpp"
#include "common/result.hpp"
#include "common/time.hpp"

namespace hf::broker::detail {

// Supplies OAuth2 access tokens for Google APIs. Thread-safe; tokens are cached until a minute
// before they expire.
class TokenSource {
 public:
  virtual ~TokenSource() = default;
  // A bearer token. Errors: kUnavailable / kDeadlineExceeded when the token endpoint cannot be
  // reached, kInternal when it answers with an error.
  virtual Result<std::string> Token() = 0;
};

// The fields of a service-account key file we use.
struct ServiceAccountKey {
  std::string client_email;
  std::string private_key;  // PEM
  std::string token_uri = "https://oauth2.googleapis.com/token";
};

// Parses a key file's JSON. Errors: kInvalidArgument naming the missing field.
Result<ServiceAccountKey> ParseServiceAccountKey(const std::string& json_text);

// The signed JWT (RS256) asserting the key's identity for `scope`, valid for one hour from
// `now`: header {"alg":"RS256","typ":"JWT"}, claims {iss, scope, aud=token_uri, iat, exp}.
Result<std::string> MakeServiceAccountJwt(const ServiceAccountKey& key, const std::string& scope,
                                          Time now);

// Tokens from the GCE/GKE metadata server (Workload Identity).
std::unique_ptr<TokenSource> MetadataTokenSource(Duration timeout);
// Tokens from exchanging a service-account JWT at the key's token_uri.
std::unique_ptr<TokenSource> ServiceAccountTokenSource(ServiceAccountKey key, std::string scope,
                                                       Duration timeout);

}  // namespace hf::broker::detail
