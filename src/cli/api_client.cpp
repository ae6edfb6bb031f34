#include "cli/api_client.hpp"

#include "cli/problem.hpp"

namespace hf::cli {
namespace {

constexpr std::string_view kBasePath = "/api/hyperfleet/v1";

ErrorCode CodeFor(long status) {
  if (status == 404) return ErrorCode::kNotFound;
  if (status == 409) return ErrorCode::kConflict;
  if (status == 502 || status == 503 || status == 504) return ErrorCode::kUnavailable;
  return ErrorCode::kInvalidArgument;
}

}  // namespace

ApiClient::ApiClient(std::string api_url) : api_url_(std::move(api_url)) {
  while (!api_url_.empty() && api_url_.back() == '/') api_url_.pop_back();
}

Result<nlohmann::json> ApiClient::Call(std::string_view method, std::string_view path,
                                       const std::optional<nlohmann::json>& body,
                                       Duration timeout) const {
  HttpRequest req;
  req.method = std::string(method);
  req.url = api_url_ + std::string(kBasePath) + std::string(path);
  req.timeout = timeout;
  req.headers.emplace_back("Accept", "application/json");
  if (body) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = body->dump();
  }
  auto res = http_.Send(req);
  if (!res) {
    const Error& e = res.error();
    if (e.code == ErrorCode::kInvalidArgument) {
      return Fail(ErrorCode::kInvalidArgument,
                  "invalid API URL '" + api_url_ + "' (set --api-url or HYPERFLEET_API_URL)");
    }
    // The transport detail reads "METHOD URL: <curl reason> (<more>)"; keep the reason.
    std::string why = e.message;
    if (size_t at = e.detail.find(req.url + ": "); at != std::string::npos) {
      why = e.detail.substr(at + req.url.size() + 2);
      why = why.substr(0, why.find(" ("));
    }
    return Fail(e.code == ErrorCode::kDeadlineExceeded ? ErrorCode::kDeadlineExceeded
                                                       : ErrorCode::kUnavailable,
                "cannot reach the HyperFleet API at " + api_url_ + " (" + why +
                    "); start it with `hyperfleet dev` (or `make dev`), or point --api-url / "
                    "HYPERFLEET_API_URL at a running API");
  }
  if (!res->Ok()) return Fail(CodeFor(res->status), FormatProblem(res->status, res->body));
  if (res->body.empty()) return nlohmann::json();
  nlohmann::json parsed = nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return Fail(ErrorCode::kInternal, "the API at " + api_url_ + " answered " +
                                          std::to_string(res->status) + " with a non-JSON body");
  }
  return parsed;
}

}  // namespace hf::cli
