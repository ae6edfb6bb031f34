#pragma once

#include <atomic>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/http_client.hpp"
#include "common/result.hpp"

namespace hf::ticker {

// What the API answered to an event request.
enum class EventStatus {
  kAccepted,  // a new outbox event was written
  kPending,   // an unpublished event at this generation already existed; nothing written
};

// The ticker's only view of the world: the HyperFleet API. Implementations are thread-compatible
// (the ticker calls them from its one loop thread).
class FleetApi {
 public:
  virtual ~FleetApi() = default;
  // Every resource matching the TSL `search` ("" = all), fetched page by page. Any failed page
  // fails the whole listing: kUnavailable / kDeadlineExceeded for transport errors and 5xx,
  // kInvalidArgument for other 4xx, kMalformed for an unreadable body.
  virtual Result<std::vector<nlohmann::json>> List(const std::string& search) = 0;
  // POST /events for one resource (reason "requested"). kNotFound when it no longer exists;
  // other errors as for List.
  virtual Result<EventStatus> RequestEvent(const std::string& resource_id) = 0;
};

struct HttpFleetApiOptions {
  std::string base_url = "http://localhost:8000";  // without /api/hyperfleet/v1
  std::string resource_type = "clusters";          // clusters | nodepools
  int page_size = 100;
  Duration timeout = std::chrono::seconds(10);  // per request
  const std::atomic<bool>* cancel = nullptr;    // aborts in-flight requests when set
};

// FleetApi over HTTP with libcurl. Never retries: the ticker's loop decides when to try again.
class HttpFleetApi final : public FleetApi {
 public:
  explicit HttpFleetApi(HttpFleetApiOptions options);
  Result<std::vector<nlohmann::json>> List(const std::string& search) override;
  Result<EventStatus> RequestEvent(const std::string& resource_id) override;

 private:
  Result<nlohmann::json> Call(const std::string& method, const std::string& url,
                              const std::string& body);

  HttpFleetApiOptions options_;
  std::string aggregate_type_;  // "Cluster" | "NodePool"
  HttpClient http_;
};

}  // namespace hf::ticker
