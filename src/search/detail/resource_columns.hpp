#pragma once

#include <string_view>

namespace hf::search::detail {

// How a column's values must be written in a query, and the type of its search::Value.
enum class ColumnType {
  kText,     // any literal; numbers become their text
  kInteger,  // an unquoted integer, as int64
  kTime,     // a quoted RFC 3339 timestamp, as Time
};

struct ResourceColumn {
  std::string_view name;
  ColumnType type;
};

// The plain columns of `resources` that a search may compare and a list may order by (the
// column names of search::ColumnTerm and search::OrderTerm). nullptr for any other name
// (including spec, which is reached through `spec.<path>` only).
const ResourceColumn* FindResourceColumn(std::string_view name);

}  // namespace hf::search::detail
