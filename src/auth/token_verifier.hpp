#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/issuer_config.hpp"
#include "auth/role.hpp"
#include "common/result.hpp"

namespace hf::auth {

// Who a verified token speaks for.
struct Principal {
  std::string identity;  // the issuer's identity_claim (falls back to `sub` when absent)
  Role role = Role::kReader;
  // The adapter this token speaks for (the issuer's adapter_name_claim, cut by its
  // adapter_name_pattern); empty when the issuer names none, the claim is absent or not a
  // string, the pattern does not match, or the result is not an adapter name
  // (model::kAdapterNamePattern).
  std::string adapter;
  std::string issuer;
  std::chrono::system_clock::time_point expires{};  // the token's exp
};

// Why a token was refused. `kind` picks the API's answer (AUT-001 missing, AUT-002 invalid,
// AUT-003 expired); `reason` is the metric label (auth_failures_total{reason}): missing,
// malformed, algorithm, unknown_issuer, unknown_key, signature, audience, expired,
// not_yet_valid, claims, keys_unavailable; `detail` is one line for the client, never
// echoing the token.
struct Rejection {
  enum class Kind { kMissing, kInvalid, kExpired } kind = Kind::kInvalid;
  std::string reason;
  std::string detail;
};

struct VerifierOptions {
  std::chrono::seconds leeway{30};  // for exp, nbf, iat
  // An unknown `kid` refetches the issuer's JWKS at most this often, so a flood of bogus kids
  // cannot hammer the issuer.
  std::chrono::milliseconds refetch_interval{10'000};
  std::chrono::milliseconds fetch_timeout{5'000};
  // Keys from a URL are fetched again after this long (a key the issuer withdrew stops being
  // trusted); if the issuer does not answer, the known keys stay in use.
  std::chrono::milliseconds keys_max_age{600'000};
  // A verified token is remembered (by its exact text) for this long at most, so repeated
  // requests skip the signature check; 0 entries: no cache.
  std::chrono::seconds cache_ttl{60};
  size_t cache_entries = 10'000;
};

// Verifies JWS compact tokens against the configured issuers (OpenSSL EVP; RS256/384/512,
// PS256, ES256, ES384 only — `none`, HMAC and a key whose type does not match `alg` are
// refused). `exp` is required. Keys are cached per issuer by `kid`. Thread-safe.
class TokenVerifier {
 public:
  // Validates the configs (issuer_url set, no duplicate issuers, jwks_file xor jwks_url).
  // Does not fetch: keys are loaded on first use, so the API starts while an issuer is down.
  static Result<std::unique_ptr<TokenVerifier>> Create(std::vector<IssuerConfig> issuers,
                                                       VerifierOptions options = {});
  virtual ~TokenVerifier() = default;

  // `token` is what follows "Bearer " (an empty token is kMissing).
  virtual std::variant<Principal, Rejection> Verify(std::string_view token) const = 0;
};

}  // namespace hf::auth
