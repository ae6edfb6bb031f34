#pragma once

#include <chrono>
#include <exception>
#include <string>

#include "auth/token_verifier.hpp"
#include "common/http_message.hpp"
#include "common/metrics.hpp"
#include "service/event_service.hpp"
#include "service/kinds.hpp"
#include "service/limits.hpp"
#include "service/outbox_feed.hpp"
#include "service/resource_service.hpp"
#include "service/status_service.hpp"
#include "store/store.hpp"

namespace hf::api {

// The REST API under /api/hyperfleet/v1 as a pure function from request to response: routing,
// decoding, calling the services and presenting. Adds X-Request-ID to every response, logs each
// request as one JSON line and counts it in the metrics. Thread-safe.
//
// With a `verifier`, every request but the open ones (access_policy.hpp) needs a valid bearer
// token whose role allows it; the token's identity fills the audit fields and the request log,
// and X-HyperFleet-Identity is ignored. Without one (a trusted network), that header names the
// caller; one that is not UTF-8 or holds control characters is refused (400).
//
// A `traceparent` that is not W3C-valid is dropped (ValidTraceparent). Specs, labels, status
// reports and list pages are held to `limits`. An exception escaping a route is logged with the
// request id, counted in hyperfleet_api_internal_errors_total{route} and answered 500
// problem+json.
//
// GET /session tells the caller its identity and role (the console shows its actions by it) and
// each kind's required adapters;
// GET /pipeline the console's pipeline figures (service::PipelineStats).
// GET /events/stream answers a streamed body (event_stream.hpp) fed by an OutboxFeed with
// `streams` options; past its max_subscribers it answers 503 problem+json.
class ApiHandler {
 public:
  ApiHandler(store::Store& store, const service::Kinds& kinds,
             const auth::TokenVerifier* verifier = nullptr, service::Limits limits = {},
             service::OutboxFeedOptions streams = {});

  http::Response Handle(const http::Request& req);

 private:
  struct Context {
    const http::Request& req;
    service::Caller caller;
    std::string route = "unmatched";  // the path template for metrics
    std::string role;                 // of a verified token; "" with auth off or open routes
    // The verified token's principal (auth on, not an open route).
    std::optional<auth::Principal> principal = std::nullopt;
  };

  // Authenticates and authorises the request (auth on), setting ctx.caller.actor, ctx.role and
  // ctx.principal; the 401/403 answer when refused.
  std::optional<http::Response> Admit(Context& ctx) const;

  http::Response Route(Context& ctx);
  http::Response Collection(Context& ctx, const service::Scope& scope);
  http::Response Item(Context& ctx, const service::Scope& scope, const std::string& id);
  http::Response Statuses(Context& ctx, const service::Scope& scope, const std::string& id);
  http::Response ForceDelete(Context& ctx, const service::Scope& scope, const std::string& id);
  http::Response Events(Context& ctx);
  http::Response EventStream(Context& ctx);

  // The 500 answer to a route that threw, logged and counted.
  http::Response Threw(const Context& ctx, const std::string& method,
                       const std::exception& e) const;
  // Adds X-Request-ID to the answer, counts and logs the request.
  http::Response Record(const Context& ctx, const std::string& method,
                        std::chrono::steady_clock::time_point start, http::Response res) const;
  http::Response Json(int status, const nlohmann::json& body) const;
  http::Response Error(const Context& ctx, const hf::Error& error) const;
  http::Response MethodNotAllowed(const Context& ctx, const char* allow) const;

  store::Store& store_;
  const service::Kinds& kinds_;
  const auth::TokenVerifier* verifier_;
  const service::Limits limits_;
  service::ResourceService resources_;
  service::StatusService statuses_;
  service::EventService events_;
  service::OutboxFeed feed_;
  metrics::Family<metrics::Counter>& requests_total_;
  metrics::Family<metrics::Histogram>& request_duration_;
  metrics::Family<metrics::Counter>& db_errors_total_;
  metrics::Family<metrics::Counter>& auth_failures_total_;
  metrics::Family<metrics::Counter>& internal_errors_total_;
};

// Whether ApiHandler answers the request without blocking on the database: a GET of one resource
// (/{kind}/{id} or /{kind}/{id}/{child kind}/{id}), answered deferred from Store::ReadResource,
// or of a path that is not a route. (With authentication on, a token whose issuer's keys must be
// fetched first, on first use, refresh or an unknown key id, waits for that fetch.)
bool AnswersWithoutBlocking(const http::Request& req);

// The OpenAPI document we serve, as JSON: the embedded openapi/openapi.yaml with the configured
// `limits` filled in (maxLength, maxItems, maxProperties and x-hyperfleet-limits).
std::string OpenApiJson(const service::Limits& limits = {});

}  // namespace hf::api
