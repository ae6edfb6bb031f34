#include "adapter/api_client.hpp"

#include <random>
#include <thread>

namespace hf::adapter {
namespace {

constexpr std::string_view kPrefix = "/api/hyperfleet/v1";

bool Retryable(long status) { return status >= 500 || status == 408 || status == 429; }

// The problem+json `detail`, else the start of the body.
std::string Detail(const HttpResponse& r) {
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("detail") && j["detail"].is_string()) return j["detail"];
  return r.body.substr(0, 300);
}

}  // namespace

ApiClient::ApiClient(ApiConfig config, const std::atomic<bool>& stop)
    : config_(std::move(config)), stop_(stop) {}

Result<HttpResponse> ApiClient::Send(const std::string& method, const std::string& path,
                                     const std::string& body,
                                     const std::string& traceparent) const {
  HttpRequest req;
  req.method = method;
  req.url = config_.base_url + std::string(kPrefix) + path;
  req.body = body;
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  if (!traceparent.empty()) req.headers.emplace_back("traceparent", traceparent);
  req.timeout = config_.timeout;
  req.cancel = &stop_;
  thread_local std::mt19937 rng{std::random_device{}()};
  Duration wait = config_.retry.backoff_base;
  std::string last;
  for (int attempt = 1;; ++attempt) {
    auto res = http_.Send(req);
    if (res && !Retryable(res->status)) return res;
    last = res ? "HTTP " + std::to_string(res->status) + ": " + Detail(*res) : res.error().message;
    if (attempt >= config_.retry.attempts || stop_) break;
    std::uniform_real_distribution<double> jitter(1 - config_.retry.jitter,
                                                  1 + config_.retry.jitter);
    auto until =
        std::chrono::steady_clock::now() + std::chrono::duration_cast<Duration>(wait * jitter(rng));
    while (!stop_ && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    wait = std::min(wait * 2, config_.retry.backoff_max);
  }
  return Fail(ErrorCode::kUnavailable, "API unavailable: " + method + " " + path + ": " + last);
}

Result<std::optional<nlohmann::json>> ApiClient::Get(const std::string& plural,
                                                     const std::string& id,
                                                     const std::string& traceparent) const {
  auto res = HF_TRY(Send("GET", "/" + plural + "/" + id, "", traceparent));
  if (res.status == 404) return std::optional<nlohmann::json>();
  if (!res.Ok()) {
    return Fail(ErrorCode::kInvalidArgument, "GET " + plural + "/" + id + ": HTTP " +
                                                 std::to_string(res.status) + ": " + Detail(res));
  }
  auto j = nlohmann::json::parse(res.body, nullptr, false);
  if (!j.is_object()) {
    return Fail(ErrorCode::kInvalidArgument,
                "GET " + plural + "/" + id + ": the answer is not JSON");
  }
  return std::optional<nlohmann::json>(std::move(j));
}

Result<long> ApiClient::PutStatus(const std::string& plural, const std::string& id,
                                  const nlohmann::json& report,
                                  const std::string& traceparent) const {
  auto res = HF_TRY(Send("PUT", "/" + plural + "/" + id + "/statuses", report.dump(), traceparent));
  if (res.status == 404) return Fail(ErrorCode::kNotFound, plural + "/" + id + " is gone");
  if (!res.Ok()) {
    return Fail(ErrorCode::kInvalidArgument,
                "status report rejected: HTTP " + std::to_string(res.status) + ": " + Detail(res));
  }
  return res.status;
}

std::string ApiClient::Probe() const {
  HttpRequest req;
  req.url = config_.base_url + std::string(kPrefix) + "/clusters?page=1&size=1";
  req.timeout = std::chrono::seconds(2);
  req.cancel = &stop_;
  auto res = http_.Send(req);
  if (!res) return "API unreachable: " + res.error().message;
  if (res->status >= 500) return "API answers HTTP " + std::to_string(res->status);
  return "";
}

}  // namespace hf::adapter
