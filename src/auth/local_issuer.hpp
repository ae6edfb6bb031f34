#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "auth/signing_key.hpp"
#include "common/http_server.hpp"
#include "common/result.hpp"

namespace hf::auth {

// A token issuer on loopback: it serves OIDC discovery (/.well-known/openid-configuration) and
// the JWKS of its signing key (/jwks.json) over HTTP, and mints tokens signed with that key.
// `dev --auth` runs one for its own users and components; the tests use it as a real issuer.
class LocalIssuer {
 public:
  // Serves on 127.0.0.1 on a free port.
  static Result<std::unique_ptr<LocalIssuer>> Start(SigningKey key);
  ~LocalIssuer();

  // The issuer URL (the tokens' `iss`), e.g. http://127.0.0.1:40123.
  const std::string& url() const { return url_; }
  const SigningKey& key() const { return key_; }
  // Requests answered for the JWKS document (tests check refetches with it).
  int jwks_requests() const { return jwks_requests_; }

  // A token for `subject` valid for `ttl`, with iss, sub, aud (`audience`, unless empty), iat,
  // nbf and exp set; `extra` claims are merged in (and may override them).
  std::string Mint(const std::string& subject, std::chrono::seconds ttl,
                   const nlohmann::json& extra = nlohmann::json::object(),
                   const std::string& audience = "hyperfleet") const;
  // A source of fresh tokens for one subject: mints again when half of `ttl` has passed.
  // Thread-safe; the shape of client::TokenSource.
  std::function<Result<std::string>()> TokenSource(std::string subject, std::chrono::seconds ttl,
                                                   nlohmann::json extra) const;

 private:
  explicit LocalIssuer(SigningKey key) : key_(std::move(key)) {}

  SigningKey key_;
  std::unique_ptr<http::Server> server_;
  std::string url_;
  std::atomic<int> jwks_requests_{0};
};

}  // namespace hf::auth
