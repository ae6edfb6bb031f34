#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hf::broker::detail {

// Standard base64 with padding (Pub/Sub message data).
std::string Base64Encode(std::string_view data);
// URL-safe base64 without padding (JWT segments).
std::string Base64UrlEncode(std::string_view data);
// Decodes standard or URL-safe base64, padding optional; nullopt on invalid input.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace hf::broker::detail
