#pragma once

#include <string>

#include "common/http_message.hpp"
#include "common/metrics.hpp"
#include "service/event_service.hpp"
#include "service/kinds.hpp"
#include "service/resource_service.hpp"
#include "service/status_service.hpp"
#include "store/store.hpp"

namespace hf::api {

// The REST API under /api/hyperfleet/v1 as a pure function from request to response: routing,
// decoding, calling the services and presenting. Adds X-Request-ID to every response, logs each
// request as one JSON line and counts it in the metrics. Thread-safe.
class ApiHandler {
 public:
  ApiHandler(store::Store& store, const service::Kinds& kinds);

  http::Response Handle(const http::Request& req);

 private:
  struct Context {
    const http::Request& req;
    service::Caller caller;
    std::string route = "unmatched";  // the path template for metrics
  };

  http::Response Route(Context& ctx);
  http::Response Collection(Context& ctx, const service::Scope& scope);
  http::Response Item(Context& ctx, const service::Scope& scope, const std::string& id);
  http::Response Statuses(Context& ctx, const service::Scope& scope, const std::string& id);
  http::Response ForceDelete(Context& ctx, const service::Scope& scope, const std::string& id);
  http::Response Events(Context& ctx);

  http::Response Json(int status, const nlohmann::json& body) const;
  http::Response Error(const Context& ctx, const hf::Error& error) const;
  http::Response MethodNotAllowed(const Context& ctx, const char* allow) const;

  const service::Kinds& kinds_;
  service::ResourceService resources_;
  service::StatusService statuses_;
  service::EventService events_;
  metrics::Family<metrics::Counter>& requests_total_;
  metrics::Family<metrics::Histogram>& request_duration_;
  metrics::Family<metrics::Counter>& db_errors_total_;
};

// The OpenAPI document we serve, as JSON (converted from the embedded openapi/openapi.yaml).
const std::string& OpenApiJson();

}  // namespace hf::api
