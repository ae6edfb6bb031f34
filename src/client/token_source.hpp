#pragma once

#include <functional>
#include <string>

#include "common/result.hpp"

namespace hf::client {

// Yields the bearer token to send, asked before each request ("" for none).
using TokenSource = std::function<Result<std::string>()>;

// The token in `path`, trimmed, re-read whenever the file changes (Kubernetes rotates projected
// service-account tokens in place). A missing, unreadable or empty file fails the request with
// kUnauthenticated naming the file, so the caller is told what to fix.
TokenSource TokenFromFile(std::string path);

// A fixed token (the CLI's HYPERFLEET_TOKEN).
TokenSource FixedToken(std::string token);

}  // namespace hf::client
