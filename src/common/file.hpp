#pragma once

#include <optional>
#include <string>

namespace hf {

// The whole content of a file, or nullopt when it cannot be opened or read (errno tells why).
std::optional<std::string> ReadFile(const std::string& path);

}  // namespace hf
