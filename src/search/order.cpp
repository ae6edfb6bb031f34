#include "search/order.hpp"

#include <optional>
#include <string_view>

#include "search/detail/resource_columns.hpp"

namespace hf::search {
namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Matches a trimmed item against `^[a-z_][a-z0-9_]*(\s+(asc|desc))?$`.
std::optional<OrderTerm> MatchItem(std::string_view item) {
  const auto is_start = [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; };
  const auto is_part = [&](char c) { return is_start(c) || (c >= '0' && c <= '9'); };
  if (item.empty() || !is_start(item[0])) return std::nullopt;
  size_t end = 1;
  while (end < item.size() && is_part(item[end])) ++end;
  OrderTerm term{.column = std::string(item.substr(0, end)), .descending = false};
  if (end == item.size()) return term;
  if (!IsSpace(item[end])) return std::nullopt;
  const std::string_view direction = Trim(item.substr(end));
  if (direction == "desc") {
    term.descending = true;
  } else if (direction != "asc") {
    return std::nullopt;
  }
  return term;
}

}  // namespace

Result<std::vector<OrderTerm>> ParseOrder(const std::vector<std::string>& values) {
  std::vector<OrderTerm> terms;
  for (const std::string& value : values) {
    if (Trim(value).empty()) continue;
    std::string_view rest = value;
    for (;;) {
      const size_t comma = rest.find(',');
      const std::string_view item = Trim(rest.substr(0, comma));
      auto term = MatchItem(item);
      if (!term) {
        return Fail(ErrorCode::kBadRequest, "invalid order format '" + std::string(item) +
                                                "': expected 'field' or 'field asc|desc'");
      }
      if (detail::FindResourceColumn(term->column) == nullptr) {
        return Fail(ErrorCode::kBadRequest, "invalid field in search or order query");
      }
      terms.push_back(std::move(*term));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return terms;
}

}  // namespace hf::search
