#include "api/problem_details.hpp"

#include <nlohmann/json.hpp>

#include "common/time.hpp"

namespace hf::api {
namespace {

struct ProblemType {
  int status;
  const char* code;
  const char* type;
  const char* title;
};

ProblemType TypeOf(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return {400, "HYPERFLEET-VAL-000", "validation-error", "Validation Failed"};
    case ErrorCode::kBadRequest:
      return {400, "HYPERFLEET-VAL-005", "bad-request", "Bad Request"};
    case ErrorCode::kMalformed:
      return {400, "HYPERFLEET-VAL-006", "malformed-request", "Malformed Request"};
    case ErrorCode::kNotFound:
      return {404, "HYPERFLEET-NTF-001", "not-found", "Resource Not Found"};
    case ErrorCode::kAlreadyExists:
      return {409, "HYPERFLEET-CNF-001", "conflict", "Resource Conflict"};
    case ErrorCode::kConflict:
      return {409, "HYPERFLEET-CNF-003", "conflict", "State Conflict"};
    case ErrorCode::kUnprocessable:
      return {422, "HYPERFLEET-VAL-000", "validation-error", "Validation Failed"};
    case ErrorCode::kUnsupportedMediaType:
      return {415, "HYPERFLEET-VAL-006", "unsupported-media-type", "Unsupported Media Type"};
    case ErrorCode::kUnauthenticated:
      return {401, "HYPERFLEET-AUT-002", "authentication-required", "Authentication Required"};
    case ErrorCode::kPermissionDenied:
      return {403, "HYPERFLEET-AUZ-001", "forbidden", "Forbidden"};
    case ErrorCode::kUnavailable:
      return {503, "HYPERFLEET-SVC-001", "service-unavailable", "Service Unavailable"};
    case ErrorCode::kDeadlineExceeded:
      return {504, "HYPERFLEET-SVC-002", "service-unavailable", "Service Timeout"};
    case ErrorCode::kInternal:
      break;
  }
  return {500, "HYPERFLEET-INT-001", "internal-error", "Internal Server Error"};
}

http::Response Render(int status, const char* code, const char* type, const char* title,
                      const std::string& detail, const std::string& instance,
                      const std::string& trace_id, nlohmann::json errors = nullptr) {
  nlohmann::json body = {{"type", std::string("https://api.hyperfleet.io/errors/") + type},
                         {"title", title},
                         {"status", status},
                         {"detail", detail},
                         {"code", code},
                         {"timestamp", FormatTime(Now())}};
  if (!instance.empty()) body["instance"] = instance;
  if (!trace_id.empty()) body["trace_id"] = trace_id;
  if (errors.is_array() && !errors.empty()) body["errors"] = std::move(errors);
  return {status,
          "application/problem+json",
          body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
          {}};
}

}  // namespace

http::Response Problem(const Error& error, const std::string& instance,
                       const std::string& trace_id) {
  ProblemType t = TypeOf(error.code);
  std::string detail = error.message;
  if (error.code == ErrorCode::kInternal && detail.empty()) detail = "internal error";
  if (error.code == ErrorCode::kUnavailable) detail = "Database connection unavailable";
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& v : error.violations) {
    nlohmann::json item = {{"field", v.field}, {"message", v.message}};
    if (!v.value.empty()) item["value"] = v.value;
    if (!v.constraint.empty()) item["constraint"] = v.constraint;
    errors.push_back(std::move(item));
  }
  return Render(t.status, t.code, t.type, t.title, detail, instance, trace_id, std::move(errors));
}

http::Response Unauthenticated(const char* code, const std::string& detail,
                               const std::string& instance, const std::string& trace_id) {
  auto res = Render(401, code, "authentication-required", "Authentication Required", detail,
                    instance, trace_id);
  std::string challenge = "Bearer realm=\"hyperfleet\"";
  if (std::string_view(code) != "HYPERFLEET-AUT-001") {
    std::string quoted;  // RFC 6750: error_description is a quoted string without '"' or '\\'
    for (char c : detail) {
      auto u = static_cast<unsigned char>(c);
      if (c != '"' && c != '\\' && u >= 0x20 && u < 0x7f) quoted.push_back(c);
    }
    challenge += ", error=\"invalid_token\", error_description=\"" + quoted + "\"";
  }
  res.headers.emplace_back("WWW-Authenticate", std::move(challenge));
  return res;
}

http::Response Forbidden(const std::string& detail, const std::string& instance,
                         const std::string& trace_id) {
  auto res =
      Render(403, "HYPERFLEET-AUZ-001", "forbidden", "Forbidden", detail, instance, trace_id);
  res.headers.emplace_back("WWW-Authenticate",
                           "Bearer realm=\"hyperfleet\", error=\"insufficient_scope\"");
  return res;
}

http::Response MisdirectedRequest(const std::string& detail, const std::string& instance) {
  return Render(421, "HYPERFLEET-AUZ-002", "misdirected-request", "Misdirected Request", detail,
                instance, "");
}

http::Response CrossOriginForbidden(const std::string& detail, const std::string& instance) {
  return Render(403, "HYPERFLEET-AUZ-003", "forbidden", "Cross-Origin Request Refused", detail,
                instance, "");
}

http::Response EndpointNotFound(const std::string& path, const std::string& trace_id) {
  return Render(404, "HYPERFLEET-NTF-000", "not-found", "Endpoint Not Found",
                "The requested endpoint '" + path + "' does not exist", path, trace_id);
}

http::Response MethodNotAllowed(const std::string& method, const std::string& path,
                                const std::string& allow, const std::string& trace_id) {
  auto res = Render(405, "HYPERFLEET-VAL-005", "method-not-allowed", "Method Not Allowed",
                    "method " + method + " is not allowed on " + path + " (allowed: " + allow + ")",
                    path, trace_id);
  res.headers.emplace_back("Allow", allow);
  return res;
}

http::Response NotImplemented(const std::string& method, const std::string& path,
                              const std::string& trace_id) {
  std::string shown = method.substr(0, 32) + (method.size() > 32 ? "…" : "");
  return Render(501, "HYPERFLEET-VAL-005", "method-not-implemented", "Not Implemented",
                "method '" + shown + "' is not implemented by this API", path, trace_id);
}

http::Response PayloadTooLarge(const std::string& path, size_t limit) {
  return Render(413, "HYPERFLEET-VAL-000", "payload-too-large", "Payload Too Large",
                "request body exceeds the limit of " + std::to_string(limit) + " bytes", path, "");
}

http::Response ServerRefusal(int status, const std::string& detail, const std::string& path) {
  if (status == 503) {
    return Render(503, "HYPERFLEET-SVC-003", "service-unavailable", "Service Unavailable", detail,
                  path, "");
  }
  return Render(status, "HYPERFLEET-VAL-005", "bad-request",
                status == 414 ? "URI Too Long" : "Request Header Fields Too Large", detail, path,
                "");
}

}  // namespace hf::api
