#pragma once

#include <string>

#include "common/error.hpp"
#include "common/http_message.hpp"

namespace hf::api {

// The one place that maps an Error to an HTTP status and an RFC 9457 problem+json body with a
// HYPERFLEET-* code. `instance` is the request path, `trace_id` the request id.
http::Response Problem(const Error& error, const std::string& instance,
                       const std::string& trace_id);

// 401 for a request without valid credentials: `code` is HYPERFLEET-AUT-001 (no token), -002
// (invalid token) or -003 (expired token). Sets WWW-Authenticate (RFC 6750) with the reason.
http::Response Unauthenticated(const char* code, const std::string& detail,
                               const std::string& instance, const std::string& trace_id);

// 403: the caller's role may not make this request (HYPERFLEET-AUZ-001).
http::Response Forbidden(const std::string& detail, const std::string& instance,
                         const std::string& trace_id);

// 404 for a path no route matches (HYPERFLEET-NTF-000).
http::Response EndpointNotFound(const std::string& path, const std::string& trace_id);

// 405 for a known path with a method it does not serve; sets the Allow header.
http::Response MethodNotAllowed(const std::string& method, const std::string& path,
                                const std::string& allow, const std::string& trace_id);

// 501 for a method this API does not know at all (not one of GET, HEAD, POST, PUT, PATCH,
// DELETE, OPTIONS); the method is quoted cut to 32 bytes.
http::Response NotImplemented(const std::string& method, const std::string& path,
                              const std::string& trace_id);

// 421 for a request whose Host this server does not answer for (HYPERFLEET-AUZ-002).
http::Response MisdirectedRequest(const std::string& detail, const std::string& instance);

// 403 for a browser request from a page of another site (its Origin; HYPERFLEET-AUZ-003).
http::Response CrossOriginForbidden(const std::string& detail, const std::string& instance);

// 413 for a body over the limit.
http::Response PayloadTooLarge(const std::string& path, size_t limit);

// The HTTP server's own refusals before any handler: 414 (target too long) and 431 (headers too
// large) as HYPERFLEET-VAL-005, 503 at a server limit as HYPERFLEET-SVC-003 (the server adds
// Retry-After); `detail` is the server's reason.
http::Response ServerRefusal(int status, const std::string& detail, const std::string& path);

}  // namespace hf::api
