#include "search/search.hpp"

#include <string>

#include "search/detail/filter_builder.hpp"
#include "search/detail/parser.hpp"

namespace hf::search {
namespace {

std::string_view Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r\f\v";
  const size_t first = s.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kSpace) - first + 1);
}

}  // namespace

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

}  // namespace hf::search
