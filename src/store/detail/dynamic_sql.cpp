#include "store/detail/dynamic_sql.hpp"

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

}  // namespace hf::store::detail
