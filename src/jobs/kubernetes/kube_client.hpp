#pragma once

// A small client for the Kubernetes REST API over libcurl: JSON requests and streaming watches,
// authenticated as a KubeConnection says.

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "common/time.hpp"
#include "jobs/kubernetes/kube_config.hpp"

namespace hf::jobs::kube {

struct KubeResponse {
  long status = 0;
  nlohmann::json body;  // the parsed body; null when it is not JSON
  std::string text;     // the raw body (not kept for watch streams)
};

// The Error for a non-2xx response, naming `what` and carrying the API server's own message
// (Status.message), with the code from hf::ErrorCodeForStatus: transient for 408, 429 and 5xx;
// terminal for 400/401/403 (kInvalidArgument: a refused object, credentials or RBAC) and 422
// (kUnprocessable); 404/410 kNotFound; 409 kAlreadyExists when the reason is AlreadyExists,
// else kConflict.
Error ApiError(const KubeResponse& response, const std::string& what);

// The Status.reason of an error body, e.g. "AlreadyExists", "Expired"; empty when absent.
std::string StatusReason(const nlohmann::json& body);

struct KubeClientOptions {
  Duration timeout = std::chrono::seconds(10);  // per request (not for watch streams)
  Duration connect_timeout = std::chrono::seconds(3);
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
  // token file, a 401 re-reads the token file and retries once. `content_type` is the body's
  // (e.g. "application/apply-patch+yaml" for server-side apply).
  Result<KubeResponse> Send(const std::string& method, const std::string& path,
                            const nlohmann::json* body = nullptr,
                            const std::string& content_type = "application/json");

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
  // The bearer token to send ("" for none); re-reads token_file when it changed or `force`.
  std::string BearerToken(bool force);
  std::unique_ptr<Handle> Acquire();
  void Release(std::unique_ptr<Handle> handle);
  // Sets URL, auth and TLS options on a reset handle.
  void Prepare(Handle& handle, const std::string& path, const std::string& token,
               const std::string& content_type = "application/json");

  const KubeConnection connection_;
  const KubeClientOptions options_;

  std::mutex token_mu_;  // guards the cached file token below
  std::string file_token_;
  int64_t token_mtime_ns_ = -1;
  uint64_t token_inode_ = 0;
  int64_t token_size_ = -1;

  std::mutex pool_mu_;  // guards pool_
  std::vector<std::unique_ptr<Handle>> pool_;
};

}  // namespace hf::jobs::kube
