#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/http_message.hpp"
#include "common/result.hpp"
#include "service/kinds.hpp"
#include "service/resource_service.hpp"
#include "service/status_service.hpp"

namespace hf::api {

// Parses a required JSON object body: empty → "Request body is required but was empty",
// not JSON → "Invalid JSON in request body" (both VAL-006).
Result<nlohmann::json> DecodeObjectBody(const std::string& body);

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
