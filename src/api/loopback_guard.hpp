#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/http_server.hpp"

namespace hf::api {

// Protects a server without authentication that is meant for one person's machine (`dev`)
// from web pages in that person's browser:
// - DNS rebinding: a page on evil.example whose name then resolves to 127.0.0.1 reaches the
//   server with `Host: evil.example`. Only a Host naming a loopback address — `localhost`
//   (or a name under `.localhost`), 127.0.0.0/8, `[::1]`, any port — or one of `allowed_hosts`
//   is served; anything else (or no Host) gets 421 problem+json (HYPERFLEET-AUZ-002).
// - Cross-site requests: a browser sends `Origin` with requests a page makes (fetch, forms). A
//   request whose Origin is not http(s) on one of those same hosts (including `Origin: null`)
//   gets 403 problem+json (HYPERFLEET-AUZ-003). Clients that are not browsers send no Origin.
// Host names compare case-insensitively; `allowed_hosts` are names or addresses without port.
http::Handler LoopbackGuard(http::Handler next, std::vector<std::string> allowed_hosts = {});

// Whether `host` (a Host header value or an origin's host[:port], e.g. "localhost:8000",
// "[::1]", "127.1.2.3:80") names a loopback address or one of `allowed_hosts`.
bool IsAllowedHost(std::string_view host, const std::vector<std::string>& allowed_hosts);

}  // namespace hf::api
