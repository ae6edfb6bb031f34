#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/result.hpp"

namespace hf::auth {

// A private key that mints tokens: `dev --auth` signs its own users' and components' tokens
// with one, and the tests play real issuers with them. RS256 (RSA 2048), PS256, ES256 (P-256)
// or ES384 (P-384); RS384 and RS512 also work. Cheap to copy (the key is shared, immutable).
class SigningKey {
 public:
  // A fresh key (RSA 2048 for RS*/PS256, P-256 for ES256, P-384 for ES384); kid is derived
  // from the public key (RFC 7638 thumbprint). kInvalidArgument for any other alg.
  static Result<SigningKey> Generate(std::string alg = "RS256");
  // Reads the PEM key at `path`, or generates one and writes it there (mode 0600, atomically).
  // kInvalidArgument when the file holds no private key or one that does not fit `alg`.
  static Result<SigningKey> LoadOrCreate(const std::string& path, std::string alg = "RS256");

  const std::string& alg() const;
  const std::string& kid() const;
  // The public key as a JWK (kty, kid, alg, use=sig, n/e or crv/x/y).
  nlohmann::json PublicJwk() const;
  // {"keys": [PublicJwk()]}
  nlohmann::json Jwks() const;
  // A compact JWS of `claims` with header {alg, kid, typ: JWT}. Empty only if OpenSSL fails
  // (out of memory).
  std::string Sign(const nlohmann::json& claims) const;
  // Signs arbitrary header and payload JSON text as given (tests forge tokens with it).
  std::string SignRaw(const std::string& header_json, const std::string& payload_json) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

}  // namespace hf::auth
