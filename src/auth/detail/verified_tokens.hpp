#pragma once

#include <chrono>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/token_verifier.hpp"

namespace hf::auth::detail {

// Tokens verified recently, by their exact text, so a client that sends the same token with
// every request pays for one signature check per `ttl` rather than one per request (OpenSSL 3's
// per-call setup is most of a request's cost). An entry lasts until the token expires or `ttl`
// passes, whichever is first; a key withdrawn from the JWKS stops being honoured within `ttl`.
// Bounded: when full, expired entries are dropped, and if none are, everything is. Thread-safe.
class VerifiedTokens {
 public:
  using Clock = std::chrono::system_clock;
  VerifiedTokens(std::chrono::seconds ttl, size_t max_entries)
      : ttl_(ttl), max_entries_(max_entries) {}

  std::optional<Principal> Find(std::string_view token) const;
  // `expires`: the token's exp plus the leeway.
  void Insert(std::string_view token, const Principal& principal, Clock::time_point expires);

 private:
  struct Entry {
    Principal principal;
    Clock::time_point until;
  };
  const std::chrono::seconds ttl_;
  const size_t max_entries_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> entries_;  // guarded by mu_
};

}  // namespace hf::auth::detail
