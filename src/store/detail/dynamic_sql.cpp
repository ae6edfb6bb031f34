#include "store/detail/dynamic_sql.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace hf::store::detail {

Result<std::string> RenumberPlaceholders(const SqlFragment& fragment, size_t first,
                                         const Statements& statements) {
  std::string out;
  out.reserve(fragment.sql.size() + 16);
  size_t count = 0;
  char quote = 0;  // the quote character we are inside of, if any
  for (const char c : fragment.sql) {
    if (quote != 0) {
      if (c == quote) quote = 0;  // a doubled quote re-enters on the next character
      out += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      out += c;
    } else if (c == '?') {
      out += statements.Placeholder(first + count++);
    } else {
      out += c;
    }
  }
  if (count != fragment.params.size()) {
    return Fail(ErrorCode::kInvalidArgument, "invalid query filter",
                "filter has " + std::to_string(count) + " placeholders but " +
                    std::to_string(fragment.params.size()) + " parameters");
  }
  return out;
}

Result<std::string> ResourceOrderClause(const std::vector<OrderBy>& order) {
  static constexpr std::array<std::string_view, 12> kSortable = {
      "id",           "kind",         "name",         "href",       "generation", "owner_id",
      "created_time", "updated_time", "deleted_time", "created_by", "updated_by", "deleted_by"};
  if (order.empty()) return std::string("r.created_time DESC, r.id DESC");
  std::string out;
  bool has_id = false;
  for (const auto& o : order) {
    if (std::ranges::find(kSortable, o.column) == kSortable.end()) {
      return Fail(ErrorCode::kInvalidArgument, "invalid order column '" + o.column + "'");
    }
    has_id = has_id || o.column == "id";
    if (!out.empty()) out += ", ";
    out += "r." + o.column + (o.descending ? " DESC" : " ASC");
    // PostgreSQL's NULL placement, spelled out so that SQLite sorts the same way.
    if (o.column.starts_with("owner_") || o.column.starts_with("deleted_")) {
      out += o.descending ? " NULLS FIRST" : " NULLS LAST";
    }
  }
  if (!has_id) out += ", r.id";
  return out;
}

}  // namespace hf::store::detail
