#pragma once

#include <optional>

#include "common/http_message.hpp"

namespace hf::api {

// The fleet console (README: Console): its page at "/" and its assets under "/console/", from
// src/api/console/ compiled into the binary. Both are open (no token: the page asks for one and
// sends it with its API calls only), answered from memory, with a strict Content-Security-Policy
// (scripts and styles from this origin only, no inline code, no framing). nullopt for any other
// path; 405 for a method other than GET or HEAD.
[[nodiscard]] bool IsConsolePath(const http::Request& req);
[[nodiscard]] std::optional<http::Response> ServeConsole(const http::Request& req);

}  // namespace hf::api
