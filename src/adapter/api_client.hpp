#pragma once

#include <atomic>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "adapter/adapter_config.hpp"
#include "common/http_client.hpp"

namespace hf::adapter {

// What an adapter needs from the HyperFleet API. Each call retries per config.retry on transport
// errors, timeouts, 408, 429 and 5xx (exponential backoff, capped, jittered); once `stop` is set,
// in-flight calls and waits end at once with kUnavailable. Thread-safe.
class ApiClient {
 public:
  ApiClient(ApiConfig config, const std::atomic<bool>& stop);

  // GET /{plural}/{id} (clusters, or the flat nodepools route): the resource JSON, or nullopt if
  // it does not exist (404). Errors: kUnavailable when retries are exhausted; kInvalidArgument
  // for other 4xx answers.
  // `traceparent` (W3C trace context of the event being handled; "" for none) is sent along, so
  // the events the API writes continue that trace.
  Result<std::optional<nlohmann::json>> Get(const std::string& plural, const std::string& id,
                                            const std::string& traceparent = "") const;
  // PUT /{plural}/{id}/statuses. Returns the HTTP status: 201 stored, 204 discarded as stale.
  // Errors: kNotFound (resource gone), kUnavailable, kInvalidArgument (report rejected).
  Result<long> PutStatus(const std::string& plural, const std::string& id,
                         const nlohmann::json& report, const std::string& traceparent = "") const;
  // "" when the API answers at all (one try, short deadline), otherwise why not.
  std::string Probe() const;

 private:
  Result<HttpResponse> Send(const std::string& method, const std::string& path,
                            const std::string& body, const std::string& traceparent = "") const;

  const ApiConfig config_;
  const std::atomic<bool>& stop_;
  HttpClient http_;
};

}  // namespace hf::adapter
