#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/http_client.hpp"
#include "common/result.hpp"

namespace hf::cli {

// Calls the HyperFleet REST API at {api_url}/api/hyperfleet/v1 on behalf of the CLI.
// Every error's `message` is one line, ready to print after "error: ":
//   - a non-2xx answer: FormatProblem(...); code kNotFound for 404, kConflict for 409,
//     kUnavailable for 502/503/504, kInvalidArgument for other statuses;
//   - the API unreachable or too slow: names the URL and suggests `hyperfleet dev` / `make dev`
//     (kUnavailable / kDeadlineExceeded);
//   - a 2xx answer whose body is not JSON: kInternal.
// Thread-compatible; cheap to copy.
class ApiClient {
 public:
  // `api_url` like "http://localhost:8000" (a trailing '/' is ignored).
  explicit ApiClient(std::string api_url);

  // Sends `method` to the API path `path` ("/clusters?page=2"), with `body` as JSON when
  // given. Returns the parsed answer; null for an empty body (e.g. 204).
  [[nodiscard]] Result<nlohmann::json> Call(
      std::string_view method, std::string_view path,
      const std::optional<nlohmann::json>& body = std::nullopt,
      Duration timeout = std::chrono::seconds(15)) const;

  [[nodiscard]] const std::string& api_url() const { return api_url_; }

 private:
  std::string api_url_;
  HttpClient http_;
};

}  // namespace hf::cli
