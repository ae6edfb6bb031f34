#pragma once

// The search component: the TSL subset of the `search` list parameter parsed and checked into a
// SQL-free Filter (search/filter.hpp), and the `order` parameter parsed against the same column
// allow-list (search/order.hpp). The store compiles both to SQL; user text never becomes SQL
// text there either: names reach SQL only through fixed forms and values are bound parameters.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "search/filter.hpp"
#include "search/order.hpp"

namespace hf::search {

// Longest search query accepted, in bytes after trimming.
inline constexpr size_t kMaxSearchLength = 4096;

// Parses and checks a search expression into a Filter over resources. The input is trimmed; an
// empty or all-blank query gives nullopt (no filter).
//
// Language: `field op value` with = != < <= > >= like ilike, `field in [v, …]` (or `(v, …)`),
// `field between v and v`, `field is [not] null`; combined with not > and > or (tightest
// first) and parentheses; keywords in any case. Values are 'single-quoted' strings ('' is a
// quote) or unquoted numbers (-1, 2.5). Fields:
//   - plain resource columns: id kind name href generation owner_id owner_kind owner_href
//     created_time updated_time deleted_time created_by updated_by deleted_by. generation takes
//     an integer; the *_time columns an RFC 3339 timestamp (or a date, meaning midnight UTC).
//   - labels.<key>                         label value (text); `is null` = label absent
//   - spec.<a>[.<b>…]                      JSON value in spec; numeric when compared to numbers
//   - status.conditions.<Type>             only `= 'True'|'False'|'Unknown'`
//   - status.conditions.<Type>.<field>     last_updated_time, last_transition_time (RFC 3339)
//                                          or observed_generation (int32); = != < <= > >= only
// `not` may not enclose a label or condition term. Like patterns use % and _ with '\' as escape.
//
// Errors are kBadRequest with the reference API's messages, e.g.
// "failed to parse search query: expected a quoted string or a number but found … at position 8",
// "search query exceeds maximum length of 4096 characters", "<name> is not a valid field name",
// "<x> is not a related resource of Resource", "invalid field in search or order query",
// "field 'generation' expects an integer", "NOT operator is not supported with label queries".
Result<std::optional<Filter>> ParseSearch(std::string_view search);

// `value` as a search string literal: in single quotes, each quote doubled.
std::string QuoteString(std::string_view value);

}  // namespace hf::search
