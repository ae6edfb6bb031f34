#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hf {

// `s` cut at every `sep`, empty parts kept ("a..b" → a, "", b). The views point into `s`.
std::vector<std::string_view> Split(std::string_view s, char sep);

// `s` without leading and trailing white space (space, tab, CR, LF, FF, VT).
[[nodiscard]] std::string_view Trim(std::string_view s);

// A comma-separated list: items trimmed of spaces and tabs, empty items dropped.
std::vector<std::string> SplitList(std::string_view text);

// `text` on one line: '\n', '\r' and '\t' become spaces.
[[nodiscard]] std::string OneLine(std::string text);

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
[[nodiscard]] bool IsValidUtf8(std::string_view s);

// `s` with each byte that starts no well-formed sequence replaced by U+FFFD.
[[nodiscard]] std::string ToValidUtf8(std::string_view s);

// The number of code points in UTF-8 text (bytes that do not continue a sequence).
[[nodiscard]] size_t Utf8Length(std::string_view s);

}  // namespace hf
