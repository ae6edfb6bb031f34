#pragma once

// The search component: the TSL subset of the `search` list parameter compiled to
// parameterised SQL, and the `order` parameter parsed against the same column allow-list.
// User text never becomes SQL text: values are bound parameters and names come only from
// fixed forms. Contracts: CompileSearch below, ParseOrder in search/order.hpp.

#include <cstddef>
#include <string_view>

#include "common/result.hpp"
#include "common/sql_fragment.hpp"
#include "search/order.hpp"

namespace hf::search {

// Longest search query accepted, in bytes after trimming.
inline constexpr size_t kMaxSearchLength = 4096;

// Compiles a search expression into a WHERE fragment over the resources table aliased `r`
// (joined to resource_labels / resource_conditions by `r.id IN (SELECT resource_id …)` only).
// The input is trimmed; an empty or all-blank query gives an empty fragment (no filter).
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
// `not` may not enclose a label or condition term.
//
// Like patterns use % and _ with '\' as escape in both dialects; on SQLite `like` is compiled
// to GLOB to stay case-sensitive, and `ilike` folds ASCII letters only.
//
// Errors are kBadRequest with the reference API's messages, e.g.
// "failed to parse search query: expected a quoted string or a number but found … at position 8",
// "search query exceeds maximum length of 4096 characters", "<name> is not a valid field name",
// "<x> is not a related resource of Resource", "invalid field in search or order query",
// "field 'generation' expects an integer", "NOT operator is not supported with label queries".
Result<SqlFragment> CompileSearch(std::string_view search, Dialect dialect);

}  // namespace hf::search
