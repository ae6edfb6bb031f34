#pragma once

// The strings extension's text builders: `"…".format([…])` and `strings.quote()`.

#include <string>
#include <string_view>

#include "common/result.hpp"
#include "expr/value.hpp"

namespace hf::expr::detail {

// Formats `args` into `format`'s clauses: %s %d %f %e %x %X %o %b and %%, with an optional
// precision ("%.2f"). Errors: a bad clause, too few arguments, or an argument of a type the
// clause does not take.
Result<Value> FormatString(std::string_view format, const List& args);

// `s` in double quotes with \a \b \f \n \r \t \v \\ \" escaped (and invalid UTF-8 replaced).
std::string QuoteString(std::string_view s);

}  // namespace hf::expr::detail
