#pragma once

// JSON Web Keys (RFC 7517/7518 §6) as OpenSSL public keys, and back.

#include <openssl/evp.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "auth/detail/jws.hpp"
#include "auth/detail/openssl.hpp"
#include "common/result.hpp"

namespace hf::auth::detail {

// RSA keys below this size are refused (NIST SP 800-57); above kMaxRsaBits, too (cost).
inline constexpr int kMinRsaBits = 2048;
inline constexpr int kMaxRsaBits = 8192;

// One public verification key of an issuer.
struct Jwk {
  std::string kid;  // may be empty
  std::string kty;  // "RSA" | "EC"
  std::string crv;  // EC: "P-256" | "P-384"
  std::string alg;  // the JWK's own `alg`, when it names one (then only that alg may use it)
  SharedPkey key;

  // Whether a token signed with `alg` may be checked with this key: kty (and crv) match what
  // the algorithm needs, and the JWK's own `alg`, if any, is that algorithm.
  bool Fits(const JwsAlgorithm& alg) const;
};

// One JWK as a public key. kInvalidArgument, saying why, for a key type or curve we do not
// use (oct, OKP, P-521), `use` other than "sig", bad base64url, a point off the curve, or an
// RSA modulus outside [kMinRsaBits, kMaxRsaBits].
Result<Jwk> ParseJwk(const nlohmann::json& jwk);

// The usable keys of a JWKS document ({"keys": [...]}); keys ParseJwk refuses are skipped
// (an issuer may publish encryption or other keys beside ours). kInvalidArgument when the
// text is not a JWKS.
Result<std::vector<Jwk>> ParseJwks(std::string_view text);

// The public members of `key` that identify it: {kty, n, e} or {kty, crv, x, y}.
Result<nlohmann::json> PublicJwkMembers(EVP_PKEY* key);

// The RFC 7638 thumbprint of those members: base64url(SHA-256(canonical JSON)).
std::string JwkThumbprint(const nlohmann::json& members);

}  // namespace hf::auth::detail
