#pragma once

// The JWS signature algorithms HyperFleet accepts (RFC 7518 §3) and their OpenSSL EVP
// signing and verification. Nothing else: `none` and HMAC are not in the table.

#include <openssl/evp.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace hf::auth::detail {

struct JwsAlgorithm {
  std::string_view name;         // "RS256"
  std::string_view kty;          // the JWK key type it needs: "RSA" | "EC"
  std::string_view crv;          // EC: the JWK curve it needs ("P-256" | "P-384"); RSA: empty
  const EVP_MD* (*digest)();     // EVP_sha256 …
  bool pss = false;              // RSASSA-PSS, salt length = digest length (PS256)
  size_t ec_coordinate_size{0};  // EC: bytes of r and of s in the JOSE signature (32 | 48)
};

// The accepted algorithm named `name` (case-sensitive), or nullptr.
const JwsAlgorithm* FindJwsAlgorithm(std::string_view name);
// "RS256, RS384, RS512, PS256, ES256, ES384", for messages.
std::string AcceptedJwsAlgorithms();

// Whether `signature` (JOSE form: RSA raw, ECDSA r||s of fixed length) signs `signing_input`
// under `key`. The caller has checked that the key's type fits `alg`.
bool VerifyJws(const JwsAlgorithm& alg, EVP_PKEY* key, std::string_view signing_input,
               std::string_view signature);
// The JOSE signature of `signing_input` with private `key`; nullopt if OpenSSL fails.
std::optional<std::string> SignJws(const JwsAlgorithm& alg, EVP_PKEY* key,
                                   std::string_view signing_input);

}  // namespace hf::auth::detail
