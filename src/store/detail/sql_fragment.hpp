#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace hf::store::detail {

// SQL dialects the store speaks.
enum class Dialect { kPostgres, kSqlite };

// A bound SQL parameter value. Times are bound as RFC 3339 text (hf::FormatTime).
using SqlParam = std::variant<std::nullptr_t, int64_t, double, std::string>;

// A piece of SQL with `?` placeholders and their values, in order, spliced into a query after
// its placeholders are renumbered for the dialect (RenumberPlaceholders). Built by the store's
// own code only (e.g. from a search filter, store/detail/search_sql.hpp); the SQL may refer to
// the resources table as `r`.
struct SqlFragment {
  std::string sql;
  std::vector<SqlParam> params;

  [[nodiscard]] bool empty() const { return sql.empty(); }
};

}  // namespace hf::store::detail
