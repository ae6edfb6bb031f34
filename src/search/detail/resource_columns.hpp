#pragma once

#include <string_view>

namespace hf::search::detail {

// How a column's values must be written in a query and bound.
enum class ColumnType {
  kText,     // any literal; numbers are bound as their text
  kInteger,  // an unquoted integer, bound as int64
  kTime,     // a quoted RFC 3339 timestamp, bound in hf::FormatTime form
};

struct ResourceColumn {
  std::string_view name;
  ColumnType type;
};

// The plain columns of `resources` that a search may compare and a list may order by: the
// only column names the search module ever writes into SQL. nullptr for any other name
// (including spec, which is reached through `spec.<path>` only).
const ResourceColumn* FindResourceColumn(std::string_view name);

}  // namespace hf::search::detail
