#pragma once

#include <string>
#include <vector>

#include "common/result.hpp"
#include "store/detail/statements.hpp"
#include "store/store.hpp"

namespace hf::store::detail {

// Rewrites the `?` placeholders of `fragment` as the dialect's numbered placeholders, starting at
// `first` (`?` inside quoted literals and identifiers is left alone). InvalidArgument when the
// number of placeholders differs from the number of parameters.
Result<std::string> RenumberPlaceholders(const SqlFragment& fragment, size_t first,
                                         const Statements& statements);

// "r.name ASC, r.id" for a resource list: validated columns (NULLs sort last ascending, as on
// PostgreSQL), then the id as tie-breaker; empty
// order means newest first. InvalidArgument for a column that is not a sortable resources column.
Result<std::string> ResourceOrderClause(const std::vector<OrderBy>& order);

}  // namespace hf::store::detail
