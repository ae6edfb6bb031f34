#include "search/search.hpp"

#include <string>

#include "common/text.hpp"
#include "search/detail/filter_builder.hpp"
#include "search/detail/parser.hpp"

namespace hf::search {
Result<std::optional<Filter>> ParseSearch(std::string_view search) {
  search = Trim(search);
  if (search.empty()) return std::nullopt;
  if (search.size() > kMaxSearchLength) {
    return Fail(ErrorCode::kBadRequest, "search query exceeds maximum length of " +
                                            std::to_string(kMaxSearchLength) + " characters");
  }
  const detail::Expr expr = HF_TRY(detail::Parse(search));
  return HF_TRY(detail::BuildFilter(expr));
}

std::string QuoteString(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace hf::search
