#include "jobs/kubernetes/kube_client.hpp"

#include <curl/curl.h>
#include <sys/stat.h>

#include "common/file.hpp"
#include "common/http_client.hpp"

namespace hf::jobs::kube {
namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;
constexpr size_t kMaxLine = 16 * 1024 * 1024;  // one watch event; larger means a broken stream

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* cancel = static_cast<const std::atomic<bool>*>(user);
  return cancel != nullptr && cancel->load() ? 1 : 0;
}

Error Transport(CURLcode code, const std::string& what, const char* detail, Duration timeout) {
  std::string full = what + ": " + curl_easy_strerror(code);
  if (detail != nullptr && detail[0] != '\0') full += std::string(" (") + detail + ")";
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return Error{ErrorCode::kDeadlineExceeded,
                 what + " timed out after " + FormatDuration(timeout),
                 full,
                 {}};
  }
  return Error{ErrorCode::kUnavailable, "cannot reach the Kubernetes API (" + what + ")", full, {}};
}

nlohmann::json ParseJson(const std::string& text) {
  return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
}

// State of one watch transfer, shared with the curl write callback.
struct StreamState {
  CURL* curl = nullptr;
  const std::function<bool(const nlohmann::json&)>* on_event = nullptr;
  long status = 0;
  std::string pending;  // bytes after the last newline
  std::string error_body;
  bool stopped = false;  // on_event asked to stop
};

size_t OnStream(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<StreamState*>(user);
  const size_t len = size * n;
  if (s->status == 0) curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &s->status);
  if (s->status != 200) {
    if (s->error_body.size() < kMaxErrorBody) s->error_body.append(data, len);
    return len;
  }
  s->pending.append(data, len);
  size_t start = 0;
  for (size_t nl; (nl = s->pending.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string_view line(s->pending.data() + start, nl - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    auto event = nlohmann::json::parse(line, nullptr, false);
    if (event.is_discarded()) continue;  // not JSON: skip the line, keep the stream
    if (!(*s->on_event)(event)) {
      s->stopped = true;
      return 0;  // aborts the transfer
    }
  }
  s->pending.erase(0, start);
  if (s->pending.size() > kMaxLine) return 0;
  return len;
}

}  // namespace

struct KubeClient::Handle {
  Handle() : curl(curl_easy_init()) {}
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  CURL* curl;
  curl_slist* headers = nullptr;
  char error[CURL_ERROR_SIZE] = {0};
};

std::string StatusReason(const nlohmann::json& body) {
  if (body.is_object() && body.contains("reason") && body["reason"].is_string()) {
    return body["reason"].get<std::string>();
  }
  return {};
}

Error ApiError(const KubeResponse& r, const std::string& what) {
  std::string server_message;
  if (r.body.is_object() && r.body.contains("message") && r.body["message"].is_string()) {
    server_message = r.body["message"].get<std::string>();
  } else {
    server_message = r.text.substr(0, 200);
  }
  const std::string text = what + ": Kubernetes API answered " + std::to_string(r.status) +
                           (server_message.empty() ? "" : ": " + server_message);
  ErrorCode code = ErrorCodeForStatus(r.status);
  if (code == ErrorCode::kConflict && StatusReason(r.body) == "AlreadyExists") {
    code = ErrorCode::kAlreadyExists;
  }
  return Error{code, text, r.text.substr(0, 1000), {}};
}

KubeClient::KubeClient(KubeConnection connection, KubeClientOptions options)
    : connection_(std::move(connection)), options_(options) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

KubeClient::~KubeClient() = default;

std::unique_ptr<KubeClient::Handle> KubeClient::Acquire() {
  {
    std::lock_guard lock(pool_mu_);
    if (!pool_.empty()) {
      auto h = std::move(pool_.back());
      pool_.pop_back();
      return h;
    }
  }
  return std::make_unique<Handle>();
}

void KubeClient::Release(std::unique_ptr<Handle> handle) {
  curl_easy_setopt(handle->curl, CURLOPT_HTTPHEADER, nullptr);
  if (handle->headers != nullptr) {
    curl_slist_free_all(handle->headers);
    handle->headers = nullptr;
  }
  std::lock_guard lock(pool_mu_);
  if (pool_.size() < 8) pool_.push_back(std::move(handle));
}

std::string KubeClient::BearerToken(bool force) {
  if (connection_.token_file.empty()) return connection_.token;
  struct stat st {};
  std::lock_guard lock(token_mu_);
  if (::stat(connection_.token_file.c_str(), &st) != 0) return file_token_;  // keep the last one
  const int64_t mtime = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
  if (force || mtime != token_mtime_ns_ || st.st_ino != token_inode_ || st.st_size != token_size_) {
    if (auto text = ReadFile(connection_.token_file)) {
      std::string t = std::move(*text);
      while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
      file_token_ = std::move(t);
      token_mtime_ns_ = mtime;
      token_inode_ = st.st_ino;
      token_size_ = st.st_size;
    }
  }
  return file_token_;
}

void KubeClient::Prepare(Handle& h, const std::string& path, const std::string& token,
                         const std::string& content_type) {
  CURL* c = h.curl;
  curl_easy_reset(c);  // keeps the connection cache
  const std::string url = connection_.server + path;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  h.headers = curl_slist_append(h.headers, "Accept: application/json");
  h.headers = curl_slist_append(h.headers, ("Content-Type: " + content_type).c_str());
  h.headers = curl_slist_append(h.headers, "Expect:");
  if (!token.empty()) {
    h.headers = curl_slist_append(h.headers, ("Authorization: Bearer " + token).c_str());
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h.headers);
  curl_easy_setopt(c, CURLOPT_USERAGENT, "hyperfleet-kubernetes-runner");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  h.error[0] = '\0';
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h.error);
  if (connection_.insecure_skip_tls_verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  // Blobs are copied by libcurl, so temporaries are fine.
  if (!connection_.ca_data.empty()) {
    curl_blob blob{const_cast<char*>(connection_.ca_data.data()), connection_.ca_data.size(),
                   CURL_BLOB_COPY};
    curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
  } else if (!connection_.ca_file.empty()) {
    curl_easy_setopt(c, CURLOPT_CAINFO, connection_.ca_file.c_str());
  }
  if (!connection_.client_cert_data.empty()) {
    curl_blob blob{const_cast<char*>(connection_.client_cert_data.data()),
                   connection_.client_cert_data.size(), CURL_BLOB_COPY};
    curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &blob);
    curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
  } else if (!connection_.client_cert_file.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, connection_.client_cert_file.c_str());
    curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
  }
  if (!connection_.client_key_data.empty()) {
    curl_blob blob{const_cast<char*>(connection_.client_key_data.data()),
                   connection_.client_key_data.size(), CURL_BLOB_COPY};
    curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &blob);
    curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
  } else if (!connection_.client_key_file.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLKEY, connection_.client_key_file.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
  }
}

Result<KubeResponse> KubeClient::Send(const std::string& method, const std::string& path,
                                      const nlohmann::json* body, const std::string& content_type) {
  bool used_file_token = false;
  auto r = SendOnce(method, path, body, content_type, &used_file_token);
  if (r && r->status == 401 && used_file_token) {
    // The token may have rotated between our stat and the server's check: re-read and retry.
    (void)BearerToken(true);
    return SendOnce(method, path, body, content_type, &used_file_token);
  }
  return r;
}

Result<KubeResponse> KubeClient::SendOnce(const std::string& method, const std::string& path,
                                          const nlohmann::json* body,
                                          const std::string& content_type, bool* used_file_token) {
  const std::string token = BearerToken(false);
  *used_file_token = !connection_.token_file.empty();
  auto h = Acquire();
  if (h->curl == nullptr) return Fail(ErrorCode::kInternal, "curl_easy_init failed");
  Prepare(*h, path, token, content_type);
  CURL* c = h->curl;
  KubeResponse resp;
  std::string payload = body != nullptr ? body->dump() : std::string();
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (body != nullptr || (method != "GET" && method != "HEAD")) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, payload.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(payload.size()));
  }
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp.text);
  const CURLcode code = curl_easy_perform(c);
  if (code != CURLE_OK) {
    Error e = Transport(code, method + " " + path, h->error, options_.timeout);
    Release(std::move(h));
    return Fail(std::move(e));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
  Release(std::move(h));
  resp.body = ParseJson(resp.text);
  if (resp.body.is_discarded()) resp.body = nullptr;
  return resp;
}

Result<KubeResponse> KubeClient::Stream(const std::string& path,
                                        const std::function<bool(const nlohmann::json&)>& on_event,
                                        const std::atomic<bool>& cancel, Duration timeout) {
  for (int attempt = 0;; ++attempt) {
    const std::string token = BearerToken(attempt > 0);
    auto h = Acquire();
    if (h->curl == nullptr) return Fail(ErrorCode::kInternal, "curl_easy_init failed");
    Prepare(*h, path, token);
    CURL* c = h->curl;
    StreamState state;
    state.curl = c;
    state.on_event = &on_event;
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, OnStream);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &state);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, OnProgress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &cancel);
    const CURLcode code = curl_easy_perform(c);
    if (state.status == 0) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &state.status);
    const std::string err = h->error;
    // A stream we stopped leaves a half-read connection: do not reuse it.
    const bool clean = code == CURLE_OK;
    if (clean) {
      Release(std::move(h));
    }
    KubeResponse resp;
    resp.status = state.status;
    if (state.status != 200 && state.status != 0) {
      resp.text = std::move(state.error_body);
      resp.body = ParseJson(resp.text);
      if (resp.body.is_discarded()) resp.body = nullptr;
      if (resp.status == 401 && attempt == 0 && !connection_.token_file.empty()) continue;
      return resp;
    }
    if (code == CURLE_OK || state.stopped || code == CURLE_ABORTED_BY_CALLBACK ||
        (code == CURLE_OPERATION_TIMEDOUT && state.status == 200)) {
      return resp;
    }
    return Fail(Transport(code, "watch " + path, err.c_str(), timeout));
  }
}

}  // namespace hf::jobs::kube
