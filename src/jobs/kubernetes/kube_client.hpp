#pragma once

// A small client for the Kubernetes REST API over libcurl: JSON requests and streaming watches,
// authenticated as a KubeConnection says.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/time.hpp"
#include "jobs/kubernetes/kube_config.hpp"

namespace hf::jobs::kube {

struct KubeResponse {
  long status = 0;
  nlohmann::json body;                  // the parsed body; null when it is not JSON
  std::string text;                     // the raw body (not kept for watch streams)
  std::optional<Duration> retry_after;  // the Retry-After header, when present
};

// The Error for a non-2xx response, naming `what` and carrying the API server's own message
// (Status.message), with the code from hf::ErrorCodeForStatus: transient for 408, 429 and 5xx;
// terminal for 400/401/403 (kInvalidArgument: a refused object, credentials or RBAC) and 422
// (kUnprocessable); 404/410 kNotFound; 409 kAlreadyExists when the reason is AlreadyExists,
// else kConflict. Two 403s pass with time and are kUnavailable: a ResourceQuota exceeded
// ("exceeded quota") and a namespace being deleted (cause NamespaceTerminating).
Error ApiError(const KubeResponse& response, const std::string& what);

// The Status.reason of an error body, e.g. "AlreadyExists", "Expired"; empty when absent.
std::string StatusReason(const nlohmann::json& body);

struct KubeClientOptions {
  Duration timeout = std::chrono::seconds(10);  // per request (not for watch streams)
  Duration connect_timeout = std::chrono::seconds(3);
  // A 429 is retried this many times, each after its Retry-After (1 s when absent, at most
  // max_retry_after); meanwhile no request of this client is sent.
  int throttle_retries = 2;
  Duration max_retry_after = std::chrono::seconds(10);
  int64_t page_size = 500;  // List's limit
};

// The items of a list (every page) and the resourceVersion to watch from.
struct KubeList {
  std::vector<nlohmann::json> items;
  std::string resource_version;
};

// Thread-safe. Keeps a few curl handles so connections (and TLS sessions) are reused.
class KubeClient {
 public:
  explicit KubeClient(KubeConnection connection, KubeClientOptions options = {});
  ~KubeClient();
  KubeClient(const KubeClient&) = delete;
  KubeClient& operator=(const KubeClient&) = delete;

  const KubeConnection& connection() const { return connection_; }

  // One request; `path` starts with '/' and may carry a query. Any HTTP status is a response;
  // transport failures are errors (kDeadlineExceeded on timeout, else kUnavailable). With a
  // token file, a 401 re-reads the token file and retries once. A 429 is retried as
  // KubeClientOptions says. `content_type` is the body's (e.g. application/merge-patch+json).
  Result<KubeResponse> Send(const std::string& method, const std::string& path,
                            const nlohmann::json* body = nullptr,
                            const std::string& content_type = "application/json");

  // GET of a collection `path` (no query) with `selector` (a label selector, may be empty),
  // page by page (limit/continue). Errors: ApiError of the failing page (an expired continue
  // token is kNotFound: list again).
  Result<KubeList> List(const std::string& path, const std::string& selector,
                        const std::string& what);

  // A watch (or any newline-delimited JSON stream): calls `on_event` for each line as it
  // arrives, until the server ends the stream, `cancel` becomes true (checked at least once a
  // second, even while idle), `on_event` returns false, or `timeout` passes. Returns the status;
  // for a non-200 status the body is the server's error. A stream that ends by cancel, by
  // on_event or by `timeout` after it was opened is not an error.
  Result<KubeResponse> Stream(const std::string& path,
                              const std::function<bool(const nlohmann::json&)>& on_event,
                              const std::atomic<bool>& cancel, Duration timeout);

 private:
  struct Handle;
  struct Token;
  Result<KubeResponse> SendOnce(const std::string& method, const std::string& path,
                                const nlohmann::json* body, const std::string& content_type,
                                bool* used_file_token);
  // Waits until no Retry-After is pending; `retry_after` starts a new one.
  void AwaitThrottle();
  void Throttle(Duration retry_after);
  // The bearer token to send ("" for none); re-reads token_file when it changed or `force`.
  std::string BearerToken(bool force);
  std::unique_ptr<Handle> Acquire();
  void Release(std::unique_ptr<Handle> handle);
  // Sets URL, auth and TLS options on a reset handle.
  void Prepare(Handle& handle, const std::string& path, const std::string& token,
               const std::string& content_type);

  const KubeConnection connection_;
  const KubeClientOptions options_;

  std::mutex token_mu_;  // guards the cached file token below
  std::string file_token_;
  int64_t token_mtime_ns_ = -1;
  uint64_t token_inode_ = 0;
  int64_t token_size_ = -1;

  std::mutex throttle_mu_;  // guards throttled_until_
  std::chrono::steady_clock::time_point throttled_until_{};

  std::mutex pool_mu_;  // guards pool_
  std::vector<std::unique_ptr<Handle>> pool_;
};

}  // namespace hf::jobs::kube
