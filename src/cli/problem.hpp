#pragma once

#include <string>
#include <string_view>

namespace hf::cli {

// One line describing a non-2xx API answer, for "error: <line>":
//   problem+json → "409 Resource Conflict: This Cluster already exists (HYPERFLEET-CNF-001)",
//   with field errors appended: "…(HYPERFLEET-VAL-000): page: page must be at least 1; …";
//   anything else → "502 Bad Gateway: <start of the body>" (or just "502 Bad Gateway").
// Never contains a newline.
[[nodiscard]] std::string FormatProblem(long status, std::string_view body);

}  // namespace hf::cli
