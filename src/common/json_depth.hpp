#pragma once

#include <string_view>

namespace hf {

// How deep JSON from outside may nest. Parsed values are walked recursively (copy, dump,
// compare, validation), so unbounded nesting would overflow the stack: reject it before parsing.
inline constexpr int kMaxJsonDepth = 100;

// Whether `text` opens more than `max_depth` arrays/objects inside one another. Brackets in
// strings do not count; the text need not be valid JSON (the parser judges that afterwards).
bool JsonNestedDeeperThan(std::string_view text, int max_depth = kMaxJsonDepth);

}  // namespace hf
