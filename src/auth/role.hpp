#pragma once

#include <optional>
#include <string_view>

namespace hf::auth {

// What a verified caller may do, from least to most: reader (every GET), adapter (GET, status
// reports and POST /events — what tickers and adapters need), admin (everything).
enum class Role { kReader, kAdapter, kAdmin };

std::string_view ToString(Role role);
// "admin" | "reader" | "adapter"; nullopt otherwise.
std::optional<Role> ParseRole(std::string_view text);

}  // namespace hf::auth
