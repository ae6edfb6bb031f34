#include "auth/detail/verified_tokens.hpp"

#include <mutex>

namespace hf::auth::detail {

std::optional<Principal> VerifiedTokens::Find(std::string_view token) const {
  if (max_entries_ == 0) return std::nullopt;
  std::shared_lock lock(mu_);
  auto it = entries_.find(std::string(token));
  if (it == entries_.end() || Clock::now() >= it->second.until) return std::nullopt;
  return it->second.principal;
}

void VerifiedTokens::Insert(std::string_view token, const Principal& principal,
                            Clock::time_point expires) {
  if (max_entries_ == 0) return;
  const auto now = Clock::now();
  std::unique_lock lock(mu_);
  if (entries_.size() >= max_entries_) {
    std::erase_if(entries_, [now](const auto& kv) { return now >= kv.second.until; });
    if (entries_.size() >= max_entries_) entries_.clear();
  }
  entries_[std::string(token)] = {principal, std::min(expires, now + ttl_)};
}

}  // namespace hf::auth::detail
