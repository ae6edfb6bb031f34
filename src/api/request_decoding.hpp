#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/http_message.hpp"
#include "common/result.hpp"
#include "service/kinds.hpp"
#include "service/resource_service.hpp"
#include "service/status_service.hpp"

namespace hf::api {

// Parses the request's required JSON object body: empty → "Request body is required but was
// empty" (VAL-006); a Content-Type other than application/json or application/merge-patch+json
// (parameters such as charset allowed, case-insensitive) → kUnsupportedMediaType (415); not
// JSON (invalid UTF-8 included) → "Invalid JSON in request body: <reason>" (VAL-006); then the
// rules of ParseStrictJson (duplicate keys, U+0000, integers beyond int64 → VAL-000 naming the
// field).
Result<nlohmann::json> DecodeObjectBody(const http::Request& req);

// The W3C trace context (https://www.w3.org/TR/trace-context/#traceparent-header) to store and
// forward, or "" to drop it: version 00 must be exactly `00-<32 hex>-<16 hex>-<2 hex>`, lower
// case, ids not all zero; a later version (not ff) is read the same way from its first 55
// characters (followed by the end or '-') and forwarded as version 00.
std::string ValidTraceparent(std::string_view header);

// X-HyperFleet-Identity (who calls when authentication is off): UTF-8 without control
// characters; otherwise InvalidArgument naming the header. (Admit ignores one over 256 bytes.)
Result<void> ValidateIdentityHeader(std::string_view identity);

// Create body, checked in the reference's order: kind, name, spec, labels. Unknown fields are
// ignored.
Result<service::CreateInput> DecodeCreate(const nlohmann::json& body,
                                          const service::KindDescriptor& kind);
// Patch body: only spec and labels; anything else → VAL-006; {} → VAL-005.
Result<service::PatchInput> DecodePatch(const nlohmann::json& body);
Result<service::StatusReport> DecodeStatusReport(const nlohmann::json& body);
// {"reason": 1..1024 characters}.
Result<std::string> DecodeForceDeleteReason(const nlohmann::json& body);

struct Paging {
  int64_t page = 1;
  int64_t size = 20;
};
// page 1..100000 and size 1..100, with "Invalid query parameters" and one violation each.
Result<Paging> DecodePaging(const http::Request& req);
// For lists that page only (adapter statuses): `search` and `order` are accepted and validated
// like everywhere else, then ignored, as the reference API does.
Result<void> ValidateIgnoredListQuery(const http::Request& req);

}  // namespace hf::api
