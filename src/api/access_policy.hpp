#pragma once

#include <optional>
#include <string>

#include "auth/role.hpp"
#include "common/http_message.hpp"

namespace hf::api {

// Who may call what when authentication is on (README: Authentication):
//   - open to everyone, no token needed: GET /api/hyperfleet (version) and GET …/v1/openapi;
//   - reader: every GET;
//   - adapter: every GET, status reports (PUT|POST …/statuses or …/status) and POST …/events;
//   - admin: everything.
bool IsOpen(const http::Request& req);

// Nothing when `role` may make `req`; otherwise the 403 detail naming the role and what it may do.
std::optional<std::string> Deny(auth::Role role, const http::Request& req);

}  // namespace hf::api
