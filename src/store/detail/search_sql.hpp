#pragma once

#include <string>
#include <vector>

#include "common/result.hpp"
#include "search/filter.hpp"
#include "search/order.hpp"
#include "store/detail/sql_fragment.hpp"

namespace hf::store::detail {

// Compiles a search filter into a WHERE fragment over `resources r` for `dialect`, with `?`
// placeholders. Each and/or group is parenthesised, so the fragment can be ANDed onto other
// conditions as is.
//
// Names reach the SQL only through fixed forms: an allow-listed `r.<column>`, a resource_labels
// or resource_conditions semi-join (`r.id [NOT] IN (SELECT resource_id …)`) with an
// allow-listed condition column, or a JSON path into r.spec. Every value, label key, condition
// type and JSON path is a bound parameter; times are bound in hf::FormatTime form (compared as
// timestamptz on PostgreSQL). Spec values are cast to numbers when compared with numbers.
// Like patterns: PostgreSQL uses LIKE / ILIKE with the default escape '\'; SQLite compiles
// like to GLOB (its LIKE ignores ASCII case) and ilike to LIKE with an explicit '\' escape,
// folding ASCII letters only where PostgreSQL folds all of Unicode.
//
// InvalidArgument for a column or condition field outside the allow-lists, or a comparison
// whose number or kind of values does not fit its operator.
Result<SqlFragment> SearchFilterSql(const search::Filter& filter, Dialect dialect);

// "r.name ASC, r.id" for a resource list: allow-listed columns (NULLs sort last ascending, as on
// PostgreSQL), then the id as tie-breaker; empty order means newest first. InvalidArgument for a
// column that is not a sortable resources column.
Result<std::string> ResourceOrderClause(const std::vector<search::OrderTerm>& order);

}  // namespace hf::store::detail
