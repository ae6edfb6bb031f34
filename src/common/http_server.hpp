#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/http_message.hpp"
#include "common/result.hpp"

namespace hf::http {

using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  std::string host = "0.0.0.0";
  int port = 0;                                    // 0: pick a free port (see Server::port())
  int threads = 0;                                 // 0: derived from the core count
  size_t body_limit = 1 << 20;                     // larger bodies get 413
  std::chrono::milliseconds read_timeout{10'000};  // headers + body of one request
  std::chrono::milliseconds idle_timeout{60'000};  // keep-alive connection without a request
  // HTTPS when both are set (PEM files: the certificate chain, server certificate first, and its
  // private key); plain HTTP when both are empty. TLS 1.2 or later, no client certificates. The
  // files are re-read when they change (checked at most once a second, on accept), so a renewed
  // certificate (cert-manager) is served to new connections without a restart; a replacement
  // that does not load keeps the previous certificate and logs a warning.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Builds the server's own error responses, e.g. as problem+json: 400 for a malformed request
  // target, 413 for a body over body_limit, 500 when the handler threw. The default is plain text.
  std::function<Response(const Request&, int status, const std::string& detail)> error_response;
};

// An HTTP/1.1 server (Boost.Beast) with keep-alive, over TCP or TLS. Handlers run on the server's
// thread pool and may block (e.g. on the database), so the pool is larger than the core count.
// Stop() drains: it stops accepting, lets in-flight requests finish (bounded), then closes every
// connection. Timeouts apply alike to TLS: read_timeout bounds the handshake too.
class Server {
 public:
  Server(ServerOptions options, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts serving. Unavailable if the address is taken; with TLS, InvalidArgument if
  // only one of the two files is given or a file does not hold a valid certificate/key (or the
  // key does not match), NotFound/Unavailable if a file cannot be read; each naming the file.
  Result<void> Start();
  // The bound port (useful with port 0).
  int port() const;
  // Stops accepting, waits up to `drain` for in-flight requests to be answered (handled and
  // their response written), then closes every connection, idle ones included; idempotent.
  void Stop(std::chrono::milliseconds drain = std::chrono::milliseconds(10'000));

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hf::http
