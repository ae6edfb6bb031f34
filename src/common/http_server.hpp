#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "common/http_admission.hpp"
#include "common/http_message.hpp"
#include "common/result.hpp"

namespace hf::http {

using Handler = std::function<Response(const Request&)>;

struct ServerOptions {
  std::string host = "0.0.0.0";
  int port = 0;  // 0: pick a free port (see Server::port())
  // Threads that read, write and run the unlimited handlers; 0: CpuCount() (at least 2).
  int threads = 0;
  size_t body_limit = 1 << 20;     // larger bodies get 413
  size_t header_limit = 64 << 10;  // request line + headers; larger get 431
  size_t target_limit = 8 << 10;   // request target (URL); longer get 414
  // Headers + body of one request, from its first byte; also the most a write may go without
  // progress (a client that does not read is dropped and its answer freed).
  std::chrono::milliseconds read_timeout{10'000};
  // How long a kept-alive connection may wait for the first byte of its next request.
  std::chrono::milliseconds idle_timeout{60'000};
  // Open connections; never more than RLIMIT_NOFILE less a reserve (the database pool, files).
  // A connection past it is answered 503 with Retry-After and closed.
  size_t max_connections = 1024;
  // Handlers running at once, each on a worker thread of its own (they may block, e.g. on the
  // database), apart from the threads above; 0: CpuCount() plus two (with the database on
  // the same cores, more at once only lengthened the tail: README, issue #16). Requests past it
  // wait, holding no thread, first in, first out; past max_queued_requests waiting they get 503.
  size_t max_running_handlers = 0;
  size_t max_queued_requests = 256;
  // Answer body bytes handed to clients but not yet written: past it, new requests get 503
  // (a client that does not read holds its answer until read_timeout passes without progress).
  size_t max_pending_response_bytes = 32 << 20;
  // Requests it accepts (e.g. a static document, or one answered deferred) skip the handler limit
  // and the queue and run on the threads above: their handler must not block. Unset: every
  // request is limited.
  std::function<bool(const Request&)> unlimited;
  // HTTPS when both are set (PEM files: the certificate chain, server certificate first, and its
  // private key); plain HTTP when both are empty. TLS 1.2 or later, no client certificates. The
  // files are re-read when they change (checked at most once a second, on accept), so a renewed
  // certificate (cert-manager) is served to new connections without a restart; a replacement
  // that does not load keeps the previous certificate and logs a warning.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Builds the server's own error responses, e.g. as problem+json: 400 for a malformed request
  // (request line, header syntax, chunk encoding, target encoding), 413 for a body over
  // body_limit, 414 for a target over target_limit, 431 for headers over header_limit, 500 when
  // the handler threw, 503 at a limit above (the server adds Retry-After: 1). After a 400, 413,
  // 414 or 431 the connection closes. The default is plain text; if it throws, plain text too.
  std::function<Response(const Request&, int status, const std::string& detail)> error_response;
};

// An HTTP/1.1 server (Boost.Beast) with keep-alive, over TCP or TLS. A few threads (about one per
// core) read, write and run the handlers that do not block; the others run on worker threads
// and may block (e.g. on the database), and a handler may answer later (Response::deferred)
// without holding a thread. The limits of ServerOptions (see Admission) keep the memory bounded. A
// connection reads its next request only once its answer is written. A handler that throws is
// answered 500, logged and counted (hyperfleet_http_handler_exceptions_total).
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
  // Connections, handlers running and waiting, and answer bytes not yet written, now.
  Admission::Stats stats() const;
  // Stops accepting, waits up to `drain` for in-flight requests to be answered (handled and
  // their response written), then closes every connection, idle ones included; idempotent.
  void Stop(std::chrono::milliseconds drain = std::chrono::milliseconds(10'000));

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hf::http
