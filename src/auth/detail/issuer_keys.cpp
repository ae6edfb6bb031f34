#include "auth/detail/issuer_keys.hpp"

#include <nlohmann/json.hpp>

#include "common/json_depth.hpp"

namespace hf::auth::detail {
IssuerKeys::IssuerKeys(IssuerConfig issuer, const VerifierOptions& options,
                       std::shared_ptr<const HttpClient> http)
    : issuer_(std::move(issuer)), options_(options), http_(std::move(http)) {
  if (!issuer_.jwks_file.empty()) file_ = std::make_unique<WatchedFile>(issuer_.jwks_file);
}

Result<KeySet> IssuerKeys::Current() { return file_ ? FromFile() : Load(/*refresh=*/false); }

Result<KeySet> IssuerKeys::Refresh() { return file_ ? FromFile() : Load(/*refresh=*/true); }

Result<KeySet> IssuerKeys::FromFile() {
  auto content = file_->Read();  // cheap (a stat) unless the file changed
  if (!content) return Fail(ErrorCode::kUnavailable, content.error().message);
  std::lock_guard lock(mu_);
  if (*content == file_content_) {
    if (keys_) return keys_;
    return Fail(last_error_);
  }
  file_content_ = *content;
  keys_.reset();
  auto parsed = ParseJwks(**content);
  if (!parsed) {
    last_error_ =
        Error{ErrorCode::kUnavailable, issuer_.jwks_file + ": " + parsed.error().message, {}, {}};
    log_.Warn("cannot use the JWKS file",
              {{"issuer", issuer_.issuer_url}, {"error", last_error_.message}});
    return Fail(last_error_);
  }
  keys_ = std::make_shared<const std::vector<Jwk>>(std::move(*parsed));
  return keys_;
}

std::optional<Result<KeySet>> IssuerKeys::AnswerWithoutFetch(bool refresh) const {
  const bool stale = Clock::now() - fetched_at_ >= options_.keys_max_age;
  if (keys_ && !refresh && !stale) return keys_;
  if (fetching_) return std::nullopt;  // wait for that fetch rather than answer without it
  if (last_attempt_ && Clock::now() - *last_attempt_ < options_.refetch_interval) {
    if (keys_) return keys_;
    return Fail(last_error_);
  }
  return std::nullopt;
}

Result<KeySet> IssuerKeys::Load(bool refresh) {
  {
    std::lock_guard lock(mu_);
    if (auto answer = AnswerWithoutFetch(refresh)) return std::move(*answer);
  }
  std::lock_guard fetching(fetch_mu_);
  {
    std::lock_guard lock(mu_);  // another thread may have fetched while this one waited
    if (auto answer = AnswerWithoutFetch(refresh)) return std::move(*answer);
    last_attempt_ = Clock::now();
    fetching_ = true;
  }
  auto fetched = Fetch();
  std::lock_guard lock(mu_);
  fetching_ = false;
  if (!fetched) {
    last_error_ = std::move(fetched).error();
    log_.Warn("cannot fetch the signing keys of a token issuer",
              {{"issuer", issuer_.issuer_url}, {"error", last_error_.ToString()}});
    if (keys_ && !refresh) return keys_;  // a periodic refresh failed: keep the known keys
    return Fail(last_error_);
  }
  keys_ = std::make_shared<const std::vector<Jwk>>(std::move(*fetched));
  fetched_at_ = Clock::now();
  return keys_;
}

Result<std::string> IssuerKeys::Get(const std::string& url) const {
  HttpRequest request;
  request.url = url;
  request.headers = {{"Accept", "application/json"}};
  request.timeout = options_.fetch_timeout;
  request.connect_timeout = std::min<Duration>(options_.fetch_timeout, request.connect_timeout);
  request.ca_file = issuer_.ca_file;
  auto response = http_->Send(request);
  if (!response) return Fail(ErrorCode::kUnavailable, response.error().message);
  if (!response->Ok()) {
    return Fail(ErrorCode::kUnavailable,
                url + " answered HTTP " + std::to_string(response->status));
  }
  return std::move(response->body);
}

Result<std::vector<Jwk>> IssuerKeys::Fetch() {
  std::string url = issuer_.jwks_url;
  if (url.empty()) {
    std::lock_guard lock(mu_);
    url = jwks_uri_;
  }
  if (url.empty()) {  // OIDC discovery
    const std::string discovery_url = issuer_.issuer_url + "/.well-known/openid-configuration";
    const std::string text = HF_TRY(Get(discovery_url));
    const auto doc = JsonNestedDeeperThan(text)
                         ? nlohmann::json()
                         : nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || !doc.contains("jwks_uri") || !doc["jwks_uri"].is_string() ||
        !IsHttpUrl(doc["jwks_uri"].get<std::string>())) {
      return Fail(ErrorCode::kUnavailable, discovery_url + " names no http(s) jwks_uri");
    }
    if (doc.contains("issuer") && doc["issuer"] != issuer_.issuer_url) {
      return Fail(ErrorCode::kUnavailable, discovery_url + " is for another issuer");
    }
    url = doc["jwks_uri"].get<std::string>();
    std::lock_guard lock(mu_);
    jwks_uri_ = url;
  }
  auto text = Get(url);
  auto keys = text ? ParseJwks(*text) : Fail(text.error());
  if (!keys && issuer_.jwks_url.empty()) {  // discover again next time: the URL may have moved
    std::lock_guard lock(mu_);
    jwks_uri_.clear();
  }
  if (!text) return Fail(text.error());
  if (!keys) return Fail(ErrorCode::kUnavailable, url + ": " + keys.error().message);
  return keys;
}

}  // namespace hf::auth::detail
