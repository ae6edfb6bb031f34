#pragma once

#include <optional>
#include <string>

#include "common/result.hpp"

namespace hf {

// The whole content of a file, or nullopt when it cannot be opened or read (errno tells why).
std::optional<std::string> ReadFile(const std::string& path);

// Creates `path`, which must not exist yet, with `mode` and writes `text` to it (synced to disk
// first when `sync`); on failure removes what it created. For files no reader looks at before
// they are complete, such as those of a directory renamed into place once written (a reader
// could see a part of the file otherwise). kUnavailable naming the path when it cannot.
Result<void> WriteNewFile(const std::string& path, const std::string& text, unsigned mode = 0644,
                          bool sync = false);

// Writes `text` to a temporary file created with `mode` next to `path` (synced to disk first
// when `sync`: what a restart after a crash must find, such as a key), then renames it over
// `path`: readers see the old or the new content, never a part, and a secret is never readable
// by others while being written. kUnavailable naming the path when it cannot.
Result<void> WriteFileAtomically(const std::string& path, const std::string& text,
                                 unsigned mode = 0644, bool sync = false);

}  // namespace hf
