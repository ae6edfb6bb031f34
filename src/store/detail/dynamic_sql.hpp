#pragma once

#include <string>

#include "common/result.hpp"
#include "store/detail/sql_fragment.hpp"
#include "store/detail/statements.hpp"

namespace hf::store::detail {

// Rewrites the `?` placeholders of `fragment` as the dialect's numbered placeholders, starting at
// `first` (`?` inside quoted literals and identifiers is left alone). InvalidArgument when the
// number of placeholders differs from the number of parameters.
Result<std::string> RenumberPlaceholders(const SqlFragment& fragment, size_t first,
                                         const Statements& statements);

}  // namespace hf::store::detail
