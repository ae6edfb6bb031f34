#include "common/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

namespace hf {
namespace {

// The calling thread's easy handle, reused across requests so connections stay alive.
class ThreadHandle {
 public:
  ThreadHandle() : curl_(curl_easy_init()) {}
  ~ThreadHandle() {
    if (curl_ != nullptr) curl_easy_cleanup(curl_);
  }
  ThreadHandle(const ThreadHandle&) = delete;
  ThreadHandle& operator=(const ThreadHandle&) = delete;
  CURL* get() const { return curl_; }

 private:
  CURL* curl_;
};

CURL* HandleForThisThread() {
  thread_local ThreadHandle handle;
  return handle.get();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// Where a body goes: into `response`, or to the request's on_data once the status is 2xx.
struct BodySink {
  CURL* curl;
  const HttpRequest* request;
  HttpResponse* response;
  bool stopped = false;  // on_data returned false
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<BodySink*>(user);
  if (sink->request->on_data) {
    long status = 0;
    curl_easy_getinfo(sink->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) {
      if (sink->request->on_data(std::string_view(data, size * n))) return size * n;
      sink->stopped = true;
      return 0;  // ends the transfer
    }
  }
  sink->response->body.append(data, size * n);
  return size * n;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    headers->clear();  // a new response (after 100-continue or a redirect) starts over
  } else if (auto colon = line.find(':'); colon != std::string_view::npos) {
    headers->emplace_back(Lower(Trim(line.substr(0, colon))), Trim(line.substr(colon + 1)));
  }
  return size * n;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancel = static_cast<const std::atomic<bool>*>(user);
  return cancel != nullptr && cancel->load() ? 1 : 0;
}

Error TransportError(CURLcode code, const HttpRequest& req, const char* detail) {
  std::string what = req.method + " " + req.url + ": " + curl_easy_strerror(code);
  if (detail[0] != '\0') what += std::string(" (") + detail + ")";
  const std::string trusted =
      req.ca_file.empty() ? "the system CA store" : "CA file " + req.ca_file;
  switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:  // also CURLE_SSL_CACERT
      return Error{ErrorCode::kUnavailable,
                   "the TLS certificate of " + req.url + " could not be verified against " +
                       trusted + (detail[0] != '\0' ? std::string(": ") + detail : ""),
                   what,
                   {}};
    case CURLE_SSL_CACERT_BADFILE:
      return Error{ErrorCode::kInvalidArgument,
                   "cannot read " + trusted + " to verify " + req.url,
                   what,
                   {}};
    case CURLE_OPERATION_TIMEDOUT:
      return Error{ErrorCode::kDeadlineExceeded,
                   "request to " + req.url + " timed out after " + FormatDuration(req.timeout),
                   what,
                   {}};
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Error{ErrorCode::kInvalidArgument, "invalid URL " + req.url, what, {}};
    case CURLE_ABORTED_BY_CALLBACK:
      return Error{ErrorCode::kUnavailable, "request to " + req.url + " cancelled", what, {}};
    default:
      return Error{ErrorCode::kUnavailable, "cannot reach " + req.url, what, {}};
  }
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  const std::string key = Lower(name);
  for (const auto& [k, v] : headers) {
    if (k == key) return v;
  }
  return {};
}

HttpClient::HttpClient() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

Result<HttpResponse> HttpClient::Send(const HttpRequest& req) const {
  CURL* curl = HandleForThisThread();
  if (curl == nullptr) return Fail(ErrorCode::kInternal, "curl_easy_init failed");
  curl_easy_reset(curl);  // keeps the connection cache; CAINFO back to the system store

  struct curl_slist* raw_headers = nullptr;
  for (const auto& [k, v] : req.headers) {
    raw_headers = curl_slist_append(raw_headers, (k + ": " + v).c_str());
  }
  // Never send "Expect: 100-continue": it costs a round trip on every POST.
  raw_headers = curl_slist_append(raw_headers, "Expect:");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_guard(raw_headers,
                                                                           curl_slist_free_all);

  HttpResponse resp;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  if (req.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (!req.body.empty() || (req.method != "GET" && req.method != "HEAD")) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(req.body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, raw_headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min(req.connect_timeout, req.timeout).count()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // required for timeouts in threaded programs
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  BodySink body_sink{curl, &req, &resp};
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body_sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &resp.headers);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  if (!req.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, req.ca_file.c_str());
  if (req.cancel != nullptr) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, OnProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, req.cancel);
  }

  const CURLcode code = curl_easy_perform(curl);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  if (code != CURLE_OK && !(code == CURLE_WRITE_ERROR && body_sink.stopped)) {
    return Fail(TransportError(code, req, error_buffer));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp.status);
  return resp;
}

ErrorCode ErrorCodeForStatus(long status) {
  switch (status) {
    case 404:
    case 410:
      return ErrorCode::kNotFound;
    case 409:
      return ErrorCode::kConflict;
    case 401:
      return ErrorCode::kUnauthenticated;
    case 403:
      return ErrorCode::kPermissionDenied;
    case 422:
      return ErrorCode::kUnprocessable;
    case 408:
    case 504:
      return ErrorCode::kDeadlineExceeded;
    case 429:
      return ErrorCode::kUnavailable;
    default:
      if (status >= 500 && status < 600) return ErrorCode::kUnavailable;
      if (status >= 400 && status < 500) return ErrorCode::kInvalidArgument;
      return ErrorCode::kInternal;
  }
}

}  // namespace hf
