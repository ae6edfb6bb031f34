#include "api/access_policy.hpp"

#include "api/console.hpp"
#include "model/kinds.hpp"

namespace hf::api {
namespace {

bool IsRead(const http::Request& req) { return req.method == "GET" || req.method == "HEAD"; }

bool IsStatusReport(const http::Request& req) {
  if (req.method != "PUT" && req.method != "POST") return false;
  std::string_view path = req.path;
  if (!path.starts_with(model::kApiBasePath)) return false;
  return path.ends_with("/statuses") || path.ends_with("/status");
}

bool IsEventRequest(const http::Request& req) {
  return req.method == "POST" && req.path == std::string(model::kApiBasePath) + "/events";
}

}  // namespace

bool IsOpen(const http::Request& req) {
  if (!IsRead(req)) return false;
  return req.path == "/api/hyperfleet" || IsConsolePath(req) ||
         req.path == std::string(model::kApiBasePath) + "/openapi";
}

std::optional<std::string> Deny(auth::Role role, const http::Request& req) {
  std::string what = req.method + " " + req.path;
  switch (role) {
    case auth::Role::kAdmin:
      return std::nullopt;
    case auth::Role::kAdapter:
      if (IsRead(req) || IsStatusReport(req) || IsEventRequest(req)) return std::nullopt;
      return "role 'adapter' may not " + what +
             "; it may read (GET), report statuses (PUT/POST …/statuses) and request events "
             "(POST /events) — ask for role 'admin'";
    case auth::Role::kReader:
      if (IsRead(req)) return std::nullopt;
      return "role 'reader' may not " + what + "; it may only read (GET) — ask for role 'admin'";
  }
  return "unknown role";
}

std::optional<std::string> DenyReport(const auth::Principal& who, std::string_view adapter) {
  if (who.role != auth::Role::kAdapter) return std::nullopt;  // admin (readers never get here)
  const std::string identity = "'" + who.identity + "'";
  if (who.adapter.empty()) {
    return "the adapter token of " + identity + " names no adapter, so it may not report " +
           "statuses: give its issuer (" + who.issuer + ") an adapter_name_claim " +
           "(and adapter_name_pattern) that yields the adapter's name";
  }
  if (who.adapter == adapter) return std::nullopt;
  return "the token of " + identity + " may report statuses only for adapter '" + who.adapter +
         "', not '" + std::string(adapter) + "'";
}

}  // namespace hf::api
