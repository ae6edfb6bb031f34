#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "common/http_server.hpp"

namespace hf::http {

// Why the process is not ready ("" when it is), e.g. "database unavailable".
using ReadinessCheck = std::function<std::string()>;

// GET /healthz → 200 {"status":"ok"} while `alive` says so (503 otherwise); GET /readyz → 200, or
// 503 {"status":"not_ready","reason":…}, or 503 {"status":"shutting_down"} once `draining` is set.
Handler HealthHandler(ReadinessCheck ready, const std::atomic<bool>* draining,
                      ReadinessCheck alive = nullptr);

// GET /metrics → the default registry in Prometheus text format.
Handler MetricsHandler();

}  // namespace hf::http
