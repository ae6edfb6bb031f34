#include "auth/local_issuer.hpp"

#include <mutex>

namespace hf::auth {

LocalIssuer::~LocalIssuer() {
  if (server_) server_->Stop(std::chrono::milliseconds(500));
}

Result<std::unique_ptr<LocalIssuer>> LocalIssuer::Start(SigningKey key) {
  std::unique_ptr<LocalIssuer> issuer(new LocalIssuer(std::move(key)));
  LocalIssuer* self = issuer.get();
  http::ServerOptions options;
  options.host = "127.0.0.1";
  options.threads = 2;
  issuer->server_ = std::make_unique<http::Server>(options, [self](const http::Request& req) {
    if (req.method != "GET") return http::Response{405, "text/plain", "GET only\n", {}};
    if (req.path == "/.well-known/openid-configuration") {
      nlohmann::json doc = {{"issuer", self->url_},
                            {"jwks_uri", self->url_ + "/jwks.json"},
                            {"id_token_signing_alg_values_supported", {self->key_.alg()}}};
      return http::Response{200, "application/json", doc.dump(), {}};
    }
    if (req.path == "/jwks.json") {
      ++self->jwks_requests_;
      return http::Response{200, "application/json", self->key_.Jwks().dump(), {}};
    }
    return http::Response{404, "text/plain", "not found\n", {}};
  });
  HF_CHECK(issuer->server_->Start());
  issuer->url_ = "http://127.0.0.1:" + std::to_string(issuer->server_->port());
  return issuer;
}

std::string LocalIssuer::Mint(const std::string& subject, std::chrono::seconds ttl,
                              const nlohmann::json& extra, const std::string& audience) const {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  nlohmann::json claims = {
      {"iss", url_}, {"sub", subject}, {"iat", now}, {"nbf", now}, {"exp", now + ttl.count()}};
  if (!audience.empty()) claims["aud"] = audience;
  if (extra.is_object()) claims.update(extra);
  return key_.Sign(claims);
}

std::function<Result<std::string>()> LocalIssuer::TokenSource(std::string subject,
                                                              std::chrono::seconds ttl,
                                                              nlohmann::json extra) const {
  struct Cache {
    std::mutex mu;
    std::string token;
    std::chrono::steady_clock::time_point renew_at;
  };
  auto cache = std::make_shared<Cache>();
  return [this, cache, subject = std::move(subject), ttl,
          extra = std::move(extra)]() -> Result<std::string> {
    std::lock_guard lock(cache->mu);
    const auto now = std::chrono::steady_clock::now();
    if (cache->token.empty() || now >= cache->renew_at) {
      cache->token = Mint(subject, ttl, extra);
      cache->renew_at = now + ttl / 2;
    }
    return cache->token;
  };
}

}  // namespace hf::auth
