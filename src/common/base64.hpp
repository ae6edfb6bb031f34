#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hf {

// Standard base64 with padding (Pub/Sub message data, kubeconfig *-data fields).
std::string Base64Encode(std::string_view data);
// URL-safe base64 without padding (JWT segments).
std::string Base64UrlEncode(std::string_view data);
// Decodes standard or URL-safe base64, padding optional, whitespace (line breaks) ignored;
// nullopt on any other character.
std::optional<std::string> Base64Decode(std::string_view text);
// Decodes URL-safe base64 without padding strictly (JWS segments, JWK members): nullopt on
// any character outside A-Z a-z 0-9 - _ (no padding, no whitespace, no '+' or '/').
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace hf
