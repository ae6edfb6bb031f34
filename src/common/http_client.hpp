#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"
#include "common/time.hpp"

namespace hf {

// One outbound HTTP request. Every request has a deadline (`timeout`, whole exchange).
struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // sent as given
  std::string body;                                          // sent when non-empty or not GET
  Duration timeout = std::chrono::seconds(10);
  Duration connect_timeout = std::chrono::seconds(3);
  // For https: the PEM bundle of the CAs to trust instead of the system store. The server's
  // certificate is always verified (chain and host name), with either.
  std::string ca_file = {};
  // When set and it becomes true, the transfer is aborted (checked about every 100 ms) and
  // Send returns kUnavailable "cancelled". Lets long polls be stopped promptly.
  const std::atomic<bool>* cancel = nullptr;
  // When set, the body of a 2xx answer is handed to it as it arrives (a stream) instead of being
  // kept in HttpResponse::body; returning false ends the transfer, and Send returns the answer.
  std::function<bool(std::string_view)> on_data = {};
};

struct HttpResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
  std::string body;

  // The first header named `name` (case-insensitive), or empty.
  [[nodiscard]] std::string Header(std::string_view name) const;
  [[nodiscard]] bool Ok() const { return status >= 200 && status < 300; }
};

// The one map from an HTTP status to an ErrorCode, for every client of a remote API (HyperFleet,
// Kubernetes, Pub/Sub): 404/410 kNotFound; 409 kConflict (a caller that can tell "already
// exists" from the body refines it to kAlreadyExists); 401 kUnauthenticated; 403
// kPermissionDenied; 422 kUnprocessable; 408 and 504 kDeadlineExceeded; 429 and every other 5xx
// kUnavailable (so Error::Transient() is the retry rule); any other 4xx (400, 413, …)
// kInvalidArgument; anything else kInternal.
[[nodiscard]] ErrorCode ErrorCodeForStatus(long status);

// A small libcurl client. Any HTTP status is a successful Response (callers interpret it);
// transport failures are errors naming the URL: kDeadlineExceeded on timeout, kUnavailable on
// connection refused, DNS failure, reset, cancellation or a server certificate that cannot be
// verified (saying so, and against which CAs), kInvalidArgument on a malformed URL or an
// unreadable ca_file.
// Never retries. Thread-safe: each thread reuses its own CURL handle (keep-alive), so instances
// are cheap and may be shared freely.
class HttpClient {
 public:
  HttpClient();
  [[nodiscard]] Result<HttpResponse> Send(const HttpRequest& request) const;
};

}  // namespace hf
