#pragma once

// UTF-8 helpers: CEL strings are sequences of code points.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hf::expr::detail {

// The byte length of the sequence a lead byte starts (1 for a stray byte).
size_t Utf8Length(char lead);
bool IsValidUtf8(std::string_view s);
void AppendUtf8(std::string& out, uint32_t code_point);
// The code points of a valid UTF-8 string.
std::vector<uint32_t> CodePoints(std::string_view s);
// The number of code points of a valid UTF-8 string.
size_t CodePointCount(std::string_view s);
// The byte offset of code point `index` (s.size() when index equals the count).
size_t ByteOffset(std::string_view s, size_t index);

}  // namespace hf::expr::detail
