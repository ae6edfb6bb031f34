#include <regex>

#include "store/postgres/pg_store.hpp"
#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace hf::store {
namespace {

// `url` with the password of its user-info part, if any, replaced by "***".
std::string Redacted(const std::string& url) {
  static const std::regex kPassword(R"(^([a-zA-Z][a-zA-Z0-9+.-]*://[^/:@]*:)[^/@]*@)");
  return std::regex_replace(url, kPassword, "$1***@");
}

}  // namespace

Result<std::unique_ptr<Store>> OpenStore(const std::string& url, const StoreOptions& options) {
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    return PgStore::Open(url, options);
  }
  if (url.starts_with("sqlite:") && url.size() > 7)
    return SqliteStore::Open(url.substr(7), options);
  return Fail(ErrorCode::kInvalidArgument,
              "unsupported database URL '" + Redacted(url) + "': use postgres://… or sqlite:PATH");
}

}  // namespace hf::store
