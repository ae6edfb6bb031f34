#pragma once

#include <optional>
#include <string>

#include "common/result.hpp"

namespace hf {

// The whole content of a file, or nullopt when it cannot be opened or read (errno tells why).
std::optional<std::string> ReadFile(const std::string& path);

// Writes `text` to a temporary file created with `mode` next to `path` (synced to disk first
// when `sync`: what a restart after a crash must find, such as a key), then renames it over
// `path`: readers see the old or the new content, never a part, and a secret is never readable
// by others while being written. kUnavailable naming the path when it cannot.
Result<void> WriteFileAtomically(const std::string& path, const std::string& text,
                                 unsigned mode = 0644, bool sync = false);

}  // namespace hf
