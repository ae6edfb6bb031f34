#include "common/ops_handlers.hpp"

#include <nlohmann/json.hpp>

#include "common/metrics.hpp"

namespace hf::http {
namespace {

Response JsonStatus(int code, const std::string& status, const std::string& reason = {}) {
  nlohmann::json j = {{"status", status}};
  if (!reason.empty()) j["reason"] = reason;
  return {code, "application/json", j.dump(), {}};
}

}  // namespace

Handler HealthHandler(ReadinessCheck ready, const std::atomic<bool>* draining,
                      ReadinessCheck alive) {
  return [ready = std::move(ready), draining, alive = std::move(alive)](const Request& req) {
    if (req.method != "GET") return Response{405, "text/plain", "method not allowed\n", {}};
    if (req.path == "/healthz") {
      std::string why = alive ? alive() : std::string();
      return why.empty() ? JsonStatus(200, "ok") : JsonStatus(503, "unhealthy", why);
    }
    if (req.path == "/readyz") {
      if (draining && draining->load()) {
        return JsonStatus(503, "shutting_down", "Application is shutting down");
      }
      std::string why = ready ? ready() : std::string();
      return why.empty() ? JsonStatus(200, "ok") : JsonStatus(503, "not_ready", why);
    }
    return Response{404, "text/plain", "not found\n", {}};
  };
}

Handler MetricsHandler() {
  return [](const Request& req) {
    if (req.path != "/metrics") return Response{404, "text/plain", "not found\n", {}};
    return Response{
        200, "text/plain; version=0.0.4; charset=utf-8", metrics::Registry::Default().Render(), {}};
  };
}

}  // namespace hf::http
