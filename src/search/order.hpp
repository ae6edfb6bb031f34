#pragma once

#include <string>
#include <vector>

#include "common/result.hpp"

namespace hf::search {

// One ORDER BY term of a list query.
struct OrderTerm {
  // A plain resource column from the search module's fixed allow-list (id, kind, name, href,
  // generation, owner_id, owner_kind, owner_href, created_time, updated_time, deleted_time,
  // created_by, updated_by, deleted_by), as the API names it.
  std::string column;
  bool descending = false;
};

// Parses the `order` query parameter: `values` holds each occurrence of the parameter, and
// each may be a comma-separated list. Every item, trimmed, must be `field`, `field asc` or
// `field desc` (lower case; `^[a-z_][a-z0-9_]*(\s+(asc|desc))?$`); no direction means asc.
// Terms come back in the order given. Blank occurrences are ignored, so no values (or only
// blank ones) give an empty list and the caller applies its default.
// Errors (kBadRequest): a malformed item → "invalid order format '<item>': expected 'field' or
// 'field asc|desc'"; a column outside the allow-list → "invalid field in search or order query".
Result<std::vector<OrderTerm>> ParseOrder(const std::vector<std::string>& values);

}  // namespace hf::search
