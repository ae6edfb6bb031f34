#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/role.hpp"
#include "auth/token_verifier.hpp"
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

// Whether `who` may send a status report under `adapter` (as Kubernetes' NodeRestriction lets a
// kubelet write only its own node): an admin under any name, an adapter only under its own
// (auth::Principal::adapter), so one stolen adapter token cannot forge the others' reports.
// Nothing when allowed; otherwise the 403 detail saying which name the token may report for.
std::optional<std::string> DenyReport(const auth::Principal& who, std::string_view adapter);

}  // namespace hf::api
