#pragma once

#include <string>
#include <string_view>

#include "common/error.hpp"
#include "common/http_client.hpp"

namespace hf::client {

// The error for a non-2xx answer of the HyperFleet API: the code from hf::ErrorCodeForStatus,
// refined by the problem+json `code` (HYPERFLEET-CNF-001 → kAlreadyExists); `message` is
// FormatProblem's one line (the problem's `detail` kept); `violations` are its `errors[]`;
// `detail` is `what` ("GET http://…/clusters/x") for logs.
[[nodiscard]] Error ErrorFromResponse(const HttpResponse& response, std::string_view what);

// One line describing a non-2xx API answer, for "error: <line>":
//   problem+json → "409 Resource Conflict: This Cluster already exists (HYPERFLEET-CNF-001)",
//   with field errors appended: "…(HYPERFLEET-VAL-000): page: page must be at least 1; …";
//   anything else → "502 Bad Gateway: <start of the body>" (or just "502 Bad Gateway").
// Never contains a newline.
[[nodiscard]] std::string FormatProblem(long status, std::string_view body);

}  // namespace hf::client
