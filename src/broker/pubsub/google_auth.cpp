#include "broker/pubsub/google_auth.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "common/base64.hpp"

namespace hf::broker::detail {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Parses {"access_token", "expires_in"} and remembers the token until shortly before expiry.
class CachingTokenSource : public TokenSource {
 public:
  Result<std::string> Token() override {
    std::lock_guard lock(mu_);
    if (!token_.empty() && SteadyClock::now() < valid_until_) return token_;
    auto resp = HF_TRY(Fetch());
    if (!resp.Ok()) {
      return Fail(ErrorCode::kInternal, "cannot obtain a Google access token",
                  "HTTP " + std::to_string(resp.status) + ": " + resp.body.substr(0, 300));
    }
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    if (j.is_discarded() || !j.contains("access_token") || !j["access_token"].is_string()) {
      return Fail(ErrorCode::kInternal, "token endpoint answered without access_token");
    }
    token_ = j["access_token"].get<std::string>();
    const int64_t expires_in = j.value("expires_in", int64_t{300});
    valid_until_ = SteadyClock::now() + std::chrono::seconds(std::max<int64_t>(expires_in - 60, 0));
    return token_;
  }

 protected:
  // One request to the token endpoint (called with the cache lock held: one fetch at a time).
  virtual Result<HttpResponse> Fetch() = 0;
  HttpClient http_;

 private:
  std::mutex mu_;  // guards token_, valid_until_
  std::string token_;
  SteadyClock::time_point valid_until_;
};

class Metadata final : public CachingTokenSource {
 public:
  explicit Metadata(Duration timeout) : timeout_(timeout) {}

 private:
  Result<HttpResponse> Fetch() override {
    HttpRequest req;
    req.url =
        "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/"
        "token";
    req.headers = {{"Metadata-Flavor", "Google"}};
    req.timeout = timeout_;
    return http_.Send(req);
  }
  Duration timeout_;
};

class ServiceAccount final : public CachingTokenSource {
 public:
  ServiceAccount(ServiceAccountKey key, std::string scope, Duration timeout)
      : key_(std::move(key)), scope_(std::move(scope)), timeout_(timeout) {}

 private:
  Result<HttpResponse> Fetch() override {
    auto jwt = HF_TRY(MakeServiceAccountJwt(key_, scope_, Now()));
    HttpRequest req;
    req.method = "POST";
    req.url = key_.token_uri;
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
    req.body = "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=" + jwt;
    req.timeout = timeout_;
    return http_.Send(req);
  }
  ServiceAccountKey key_;
  std::string scope_;
  Duration timeout_;
};

Result<std::string> SignRs256(const std::string& pem, const std::string& input) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), int(pem.size())),
                                                BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  if (!pkey)
    return Fail(ErrorCode::kInvalidArgument, "service-account private_key is not a PEM key");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  size_t len = 0;
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size()) != 1) {
    return Fail(ErrorCode::kInternal, "cannot sign the service-account JWT");
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1) {
    return Fail(ErrorCode::kInternal, "cannot sign the service-account JWT");
  }
  sig.resize(len);
  return sig;
}

}  // namespace

Result<ServiceAccountKey> ParseServiceAccountKey(const std::string& json_text) {
  auto j = nlohmann::json::parse(json_text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Fail(ErrorCode::kInvalidArgument, "service-account key file is not a JSON object");
  }
  ServiceAccountKey key;
  for (auto [name, field] :
       {std::pair{"client_email", &key.client_email}, std::pair{"private_key", &key.private_key}}) {
    if (!j.contains(name) || !j[name].is_string() || j[name].get<std::string>().empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  std::string("service-account key file lacks '") + name + "'");
    }
    *field = j[name].get<std::string>();
  }
  if (j.contains("token_uri") && j["token_uri"].is_string()) key.token_uri = j["token_uri"];
  return key;
}

Result<std::string> MakeServiceAccountJwt(const ServiceAccountKey& key, const std::string& scope,
                                          Time now) {
  const int64_t iat =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}};
  const nlohmann::json claims = {{"iss", key.client_email},
                                 {"scope", scope},
                                 {"aud", key.token_uri},
                                 {"iat", iat},
                                 {"exp", iat + 3600}};
  const std::string input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
  auto sig = HF_TRY(SignRs256(key.private_key, input));
  return input + "." + Base64UrlEncode(sig);
}

std::unique_ptr<TokenSource> MetadataTokenSource(Duration timeout) {
  return std::make_unique<Metadata>(timeout);
}

std::unique_ptr<TokenSource> ServiceAccountTokenSource(ServiceAccountKey key, std::string scope,
                                                       Duration timeout) {
  return std::make_unique<ServiceAccount>(std::move(key), std::move(scope), timeout);
}

}  // namespace hf::broker::detail
