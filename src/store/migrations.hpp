#pragma once

#include <string>
#include <vector>

#include "common/result.hpp"
#include "store/detail/sql_fragment.hpp"

namespace hf::store {

// One schema migration: a numbered SQL script (several statements) applied once, in name order.
struct Migration {
  std::string name;  // file name without extension, e.g. "0001_init"
  std::string sql;
};

// The migrations compiled into the binary from migrations/<dialect>/*.sql, sorted by name.
const std::vector<Migration>& EmbeddedMigrations(detail::Dialect dialect);

// The embedded migrations when `dir` is empty; otherwise <dir>/<postgres|sqlite>/*.sql read now,
// sorted by name (InvalidArgument if the folder cannot be read).
Result<std::vector<Migration>> LoadMigrations(detail::Dialect dialect, const std::string& dir);

}  // namespace hf::store
