#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/detail/jwk.hpp"
#include "auth/issuer_config.hpp"
#include "auth/token_verifier.hpp"
#include "common/http_client.hpp"
#include "common/log.hpp"
#include "common/result.hpp"
#include "common/watched_file.hpp"

namespace hf::auth::detail {

using KeySet = std::shared_ptr<const std::vector<Jwk>>;

// The verification keys of one issuer, cached. Keys come from jwks_file (re-read when it
// changes), jwks_url, or OIDC discovery (issuer_url + /.well-known/openid-configuration →
// jwks_uri, remembered until a fetch from it fails). Remote keys are fetched at most once per
// refetch_interval, by one thread at a time; a failed fetch is logged as a warning (so also at
// most once per interval) and keeps the keys known before. Thread-safe.
class IssuerKeys {
 public:
  IssuerKeys(IssuerConfig issuer, const VerifierOptions& options,
             std::shared_ptr<const HttpClient> http);

  const IssuerConfig& issuer() const { return issuer_; }

  // The keys known now, loading them on first use. kUnavailable when they cannot be loaded
  // (the issuer could not be reached, the file is unreadable or not a JWKS).
  Result<KeySet> Current();
  // Fetches the keys again (a token names a key we do not know), unless a fetch was tried
  // less than refetch_interval ago: then the keys known now. A jwks_file is only re-read if it
  // changed. kUnavailable when the fetch fails.
  Result<KeySet> Refresh();

 private:
  using Clock = std::chrono::steady_clock;

  Result<KeySet> FromFile();
  Result<KeySet> Load(bool refresh);
  // What Load answers without fetching, or nullopt when it must fetch. Called with mu_ held.
  std::optional<Result<KeySet>> AnswerWithoutFetch(bool refresh) const;
  // One fetch of the JWKS (discovering its URL first when needed). Does I/O: no lock held.
  Result<std::vector<Jwk>> Fetch();
  Result<std::string> Get(const std::string& url) const;

  const IssuerConfig issuer_;
  const VerifierOptions options_;
  const std::shared_ptr<const HttpClient> http_;
  const log::Logger log_{"auth"};
  std::unique_ptr<WatchedFile> file_;  // set for jwks_file issuers

  std::mutex fetch_mu_;  // held for the whole of a remote fetch: one fetch at a time

  mutable std::mutex mu_;  // guards the members below
  KeySet keys_;            // null until loaded
  std::optional<Clock::time_point> last_attempt_;
  Clock::time_point fetched_at_{};  // of keys_ (jwks_url/discovery): refetched after keys_max_age
  bool fetching_ = false;           // a thread holds fetch_mu_ and is fetching
  Error last_error_;
  std::string jwks_uri_;                             // discovered; empty until then
  std::shared_ptr<const std::string> file_content_;  // what keys_ was parsed from (jwks_file)
};

}  // namespace hf::auth::detail
