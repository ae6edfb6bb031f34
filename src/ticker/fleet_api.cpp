#include "ticker/fleet_api.hpp"

#include "common/http_message.hpp"

namespace hf::ticker {
namespace {

constexpr std::string_view kApiPrefix = "/api/hyperfleet/v1/";

std::string Trimmed(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

HttpFleetApi::HttpFleetApi(HttpFleetApiOptions options)
    : options_(std::move(options)),
      aggregate_type_(options_.resource_type == "nodepools" ? "NodePool" : "Cluster") {
  options_.base_url = Trimmed(options_.base_url);
}

Result<nlohmann::json> HttpFleetApi::Call(const std::string& method, const std::string& url,
                                          const std::string& body) {
  HttpRequest req;
  req.method = method;
  req.url = url;
  req.body = body;
  req.timeout = options_.timeout;
  req.cancel = options_.cancel;
  req.headers = {{"Accept", "application/json"}, {"User-Agent", "hyperfleet-ticker/" HF_VERSION}};
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  auto resp = HF_TRY(http_.Send(req));
  const std::string what = method + " " + url + " → " + std::to_string(resp.status);
  if (resp.status == 404) return Fail(ErrorCode::kNotFound, "not found", what);
  if (resp.status == 408 || resp.status == 429 || resp.status >= 500) {
    return Fail(ErrorCode::kUnavailable, "API unavailable", what + ": " + resp.body.substr(0, 200));
  }
  if (!resp.Ok()) {
    return Fail(ErrorCode::kInvalidArgument, "API refused the request",
                what + ": " + resp.body.substr(0, 200));
  }
  auto parsed = nlohmann::json::parse(resp.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return Fail(ErrorCode::kMalformed, "API answered with a body that is not a JSON object", what);
  }
  return parsed;
}

Result<std::vector<nlohmann::json>> HttpFleetApi::List(const std::string& search) {
  std::vector<nlohmann::json> out;
  const std::string base = options_.base_url + std::string(kApiPrefix) + options_.resource_type +
                           "?size=" + std::to_string(options_.page_size) +
                           (search.empty() ? "" : "&search=" + http::UrlEncode(search));
  for (int page = 1;; ++page) {
    auto body = HF_TRY(Call("GET", base + "&page=" + std::to_string(page), ""));
    const auto items = body.find("items");
    if (items == body.end() || !items->is_array()) {
      return Fail(ErrorCode::kMalformed, "API list has no items array");
    }
    for (const auto& item : *items) out.push_back(item);
    const int64_t total = body.value("total", static_cast<int64_t>(0));
    // Offset paging: stop on an empty or short page, or once `total` items were read.
    if (items->empty() || static_cast<int64_t>(out.size()) >= total ||
        static_cast<int>(items->size()) < options_.page_size) {
      break;
    }
  }
  return out;
}

Result<EventStatus> HttpFleetApi::RequestEvent(const std::string& resource_id) {
  const nlohmann::json body = {
      {"aggregate_type", aggregate_type_}, {"aggregate_id", resource_id}, {"reason", "requested"}};
  auto resp =
      HF_TRY(Call("POST", options_.base_url + std::string(kApiPrefix) + "events", body.dump()));
  return resp.value("status", "") == "pending" ? EventStatus::kPending : EventStatus::kAccepted;
}

}  // namespace hf::ticker
