#pragma once

#include <atomic>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "client/api_client.hpp"
#include "common/result.hpp"

namespace hf::ticker {

// The ticker's only view of the world: the HyperFleet API. An interface so that tests can drive
// the ticker without a server. List is called from the ticker's loop thread only; RequestEvent
// from several threads at once (the requests of one poll run concurrently).
class FleetApi {
 public:
  virtual ~FleetApi() = default;
  // Every resource matching the TSL `search` ("" = all), fetched page by page. Any failed page
  // fails the whole listing: kUnavailable / kDeadlineExceeded for transport errors and 5xx,
  // kInvalidArgument for other 4xx, kMalformed for an unreadable body.
  virtual Result<std::vector<nlohmann::json>> List(const std::string& search) = 0;
  // POST /events for one resource (reason "requested"). kNotFound when it no longer exists;
  // other errors as for List.
  virtual Result<client::EventOutcome> RequestEvent(const std::string& resource_id) = 0;
};

struct HttpFleetApiOptions {
  std::string base_url = "http://localhost:8000";     // without the base path
  std::string resource_type{model::kCluster.plural};  // a kind's plural (model/kinds.hpp)
  int page_size = 100;
  Duration timeout = std::chrono::seconds(10);  // per request
  const std::atomic<bool>* cancel = nullptr;    // aborts in-flight requests when set
  client::TokenSource token{};                  // bearer token (client/token_source.hpp)
  std::string ca_file{};                        // trust for an https base_url
};

// FleetApi over the client library (src/client/). Never retries: the ticker's loop decides when
// to try again.
class HttpFleetApi final : public FleetApi {
 public:
  // `options.resource_type` must name a kind (Ticker::Validate checks it first).
  explicit HttpFleetApi(const HttpFleetApiOptions& options);
  Result<std::vector<nlohmann::json>> List(const std::string& search) override;
  Result<client::EventOutcome> RequestEvent(const std::string& resource_id) override;

 private:
  const model::ResourceKind& kind_;
  int page_size_;
  client::ApiClient api_;
};

}  // namespace hf::ticker
