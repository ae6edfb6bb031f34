#include "store/migrations.hpp"

#include <algorithm>
#include <filesystem>

#include "common/file.hpp"

namespace hf::store {

Result<std::vector<Migration>> LoadMigrations(detail::Dialect dialect, const std::string& dir) {
  if (dir.empty()) return EmbeddedMigrations(dialect);
  namespace fs = std::filesystem;
  const fs::path folder =
      fs::path(dir) / (dialect == detail::Dialect::kPostgres ? "postgres" : "sqlite");
  std::vector<Migration> out;
  std::error_code ec;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() != ".sql") continue;
    auto text = ReadFile(it->path().string());
    if (!text) return Fail(ErrorCode::kInvalidArgument, "cannot read " + it->path().string());
    out.push_back({it->path().stem().string(), std::move(*text)});
  }
  if (ec) {
    return Fail(ErrorCode::kInvalidArgument,
                "cannot read migrations folder " + folder.string() + ": " + ec.message());
  }
  std::ranges::sort(out, {}, &Migration::name);
  return out;
}

}  // namespace hf::store
