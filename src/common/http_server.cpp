#include "common/http_server.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/log.hpp"
#include "common/watched_file.hpp"

namespace hf::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

const log::Logger kLog{"http"};
// The most a client may still send after an early answer before the connection is closed.
constexpr size_t kLingerBytes = 64 << 20;
// How long a closing connection may take: draining after an early answer, TLS close_notify.
constexpr auto kCloseTimeout = std::chrono::seconds(5);
// How often the certificate files are checked for a change.
constexpr auto kCertificateCheckInterval = std::chrono::seconds(1);

// The server's certificate and key from two PEM files, as an SSL context for new connections,
// rebuilt when the files change. A connection keeps the context it started with. Thread-safe.
class TlsCertificate {
 public:
  TlsCertificate(std::string cert_file, std::string key_file)
      : cert_(std::move(cert_file)), key_(std::move(key_file)) {}

  // Loads the files; the error names the file at fault.
  Result<void> Load() {
    auto context = Build();
    if (!context) return Fail(std::move(context.error()));
    std::lock_guard lock(mu_);
    context_ = std::move(*context);
    checked_ = std::chrono::steady_clock::now();
    return {};
  }

  // The context for a new connection: first reloads the files if they changed and the last
  // check is kCertificateCheckInterval old; a failed reload logs a warning and keeps the
  // previous context.
  std::shared_ptr<ssl::context> Current() {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (now - checked_ < kCertificateCheckInterval) return context_;
    checked_ = now;
    if (!cert_.Changed() && !key_.Changed()) return context_;
    if (auto context = Build()) {
      context_ = std::move(*context);
      kLog.Info("TLS certificate reloaded", {{"cert", cert_.path()}, {"key", key_.path()}});
    } else {
      kLog.Warn("TLS certificate not reloaded; serving the previous one",
                {{"cert", cert_.path()}, {"key", key_.path()}, {"error", context.error().message}});
    }
    return context_;
  }

 private:
  static Error Invalid(const std::string& what, const std::string& path,
                       const std::string& reason) {
    return Error{
        ErrorCode::kInvalidArgument, "invalid TLS " + what + " " + path + ": " + reason, {}, {}};
  }

  Result<std::shared_ptr<ssl::context>> Build() {
    auto cert = cert_.Read();
    if (!cert) return Fail(std::move(cert.error()));
    auto key = key_.Read();
    if (!key) return Fail(std::move(key.error()));
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    SSL_CTX* native = context->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    context->set_options(ssl::context::default_workarounds | ssl::context::single_dh_use);
    beast::error_code ec;
    context->use_certificate_chain(asio::buffer(**cert), ec);
    if (ec) {
      return Fail(Invalid("certificate", cert_.path(),
                          "not a PEM certificate chain (" + ec.message() + ")"));
    }
    const std::string mismatch = "does not match the certificate in " + cert_.path();
    context->use_private_key(asio::buffer(**key), ssl::context::pem, ec);
    if (ec) {
      const bool wrong_key =
          ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH;
      return Fail(Invalid("key", key_.path(),
                          wrong_key ? mismatch : "not a PEM private key (" + ec.message() + ")"));
    }
    if (SSL_CTX_check_private_key(native) != 1) {
      ERR_clear_error();
      return Fail(Invalid("key", key_.path(), mismatch));
    }
    return context;
  }

  WatchedFile cert_;
  WatchedFile key_;
  std::mutex mu_;  // guards the members below
  std::shared_ptr<ssl::context> context_;
  std::chrono::steady_clock::time_point checked_;
};

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  // Reset by Stop(): destroying it destroys every session still waiting on a socket, which
  // closes the connection.
  std::optional<asio::io_context> io{std::in_place};
  std::optional<tcp::acceptor> acceptor;
  std::unique_ptr<TlsCertificate> tls;  // null: plain HTTP
  std::vector<std::thread> threads;
  std::atomic<bool> draining{false};
  std::atomic<int> in_flight{0};  // requests being handled or answered
  std::atomic<bool> stopped{false};
  int bound_port = 0;
  // Accept errors (EMFILE at the descriptor limit, ENOBUFS) would otherwise spin the accept
  // loop: it waits, doubling from 10 ms to 1 s, and logs at most once a second. Touched only
  // by the one pending accept's handler.
  std::optional<asio::steady_timer> accept_timer;
  std::chrono::milliseconds accept_backoff{0};
  std::chrono::steady_clock::time_point accept_logged{};
  int accept_failures = 0;  // since the last log line

  void Accept();
  void AcceptFailed(const beast::error_code& ec);
};

namespace {

// One connection: reads requests, calls the handler, writes the answers. `Stream` is
// beast::tcp_stream (HTTP) or TlsStream (HTTPS, which handshakes first); the rest is the same.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  // `tls`: the context of a TLS connection, held for its lifetime (null for plain HTTP).
  Session(tcp::socket socket, Server::Impl& server, std::shared_ptr<ssl::context> tls)
      : tls_(std::move(tls)), stream_(MakeStream(std::move(socket), tls_.get())), server_(server) {}

  void Run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::Start, this->shared_from_this()));
  }

 private:
  static Stream MakeStream(tcp::socket socket, ssl::context* tls) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *tls);
    } else {
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  void Start() {
    if constexpr (kTls) {
      Tcp().expires_after(server_.options.read_timeout);
      // A failed handshake (a plain-HTTP client, a client that does not trust us, a timeout)
      // just drops the connection.
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->Read();
                              });
    } else {
      Read();
    }
  }

  void Read() {
    if (server_.draining) return Close();
    parser_.emplace();
    parser_->body_limit(server_.options.body_limit);
    parser_->header_limit(64 * 1024);
    Tcp().expires_after(first_ ? server_.options.read_timeout : server_.options.idle_timeout);
    first_ = false;
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::OnRead, this->shared_from_this()));
  }

  void OnRead(beast::error_code ec, size_t) {
    if (ec == bhttp::error::body_limit) {
      Request req;
      req.method = std::string(parser_->get().method_string());
      req.target = std::string(parser_->get().target());
      ParseTarget(req.target, req.path, req.query);
      linger_ = true;  // the client may still be sending the body
      return Write(ErrorResponse(req, 413, "request body too large"), false, 11);
    }
    if (ec) return Close();  // end of stream, timeout, reset, malformed request line
    auto& msg = parser_->get();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    req.body = std::move(msg.body());
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[name] = std::string(field.value());
    }
    beast::error_code rec;
    auto endpoint = Tcp().socket().remote_endpoint(rec);
    if (!rec) req.remote = endpoint.address().to_string();
    bool keep_alive = msg.keep_alive();
    unsigned version = msg.version();
    Response res;
    if (!ParseTarget(req.target, req.path, req.query)) {
      res = ErrorResponse(req, 400, "malformed request target");
    } else {
      ++server_.in_flight;  // until the answer is written (Write)
      counted_ = true;
      try {
        res = server_.handler(req);
      } catch (const std::exception& e) {
        kLog.Error("handler threw", {{"error", e.what()}, {"path", req.path}});
        res = ErrorResponse(req, 500, "internal error");
      }
    }
    Write(std::move(res), keep_alive && !server_.draining, version);
  }

  Response ErrorResponse(const Request& req, int status, const std::string& detail) const {
    if (server_.options.error_response) return server_.options.error_response(req, status, detail);
    return Response{status, "text/plain", detail + "\n", {}};
  }

  void Write(Response res, bool keep_alive, unsigned version) {
    auto out = std::make_shared<bhttp::response<bhttp::string_body>>(
        static_cast<bhttp::status>(res.status), version);
    out->set(bhttp::field::server, "hyperfleet");
    if (!res.body.empty() || res.status != 204) {
      out->set(bhttp::field::content_type, res.content_type);
    }
    for (const auto& [k, v] : res.headers) out->set(k, v);
    out->body() = std::move(res.body);
    out->keep_alive(keep_alive);
    out->prepare_payload();
    response_ = out;
    Tcp().expires_after(server_.options.read_timeout);
    bhttp::async_write(stream_, *out,
                       [self = this->shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                         self->response_.reset();
                         if (std::exchange(self->counted_, false)) --self->server_.in_flight;
                         if (ec || !keep_alive) return self->Close(!ec && self->linger_);
                         self->Read();
                       });
  }

  // Ends the connection; the session goes when its last operation completes. `linger`: the
  // answer was sent before the request was read (413), so what the client still sends is read
  // and dropped, bounded in bytes and time: closing with unread data would reset the
  // connection, and a client still writing its body would get the reset instead of the answer.
  void Close(bool linger = false) {
    if (kTls && !linger) {
      // close_notify, then wait (bounded) for the client's.
      Tcp().expires_after(kCloseTimeout);
      if constexpr (kTls) {
        stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
      }
      return;
    }
    // Plain, or TLS with a body still coming: OpenSSL refuses data after close_notify, so the
    // TLS connection ends at the TCP level (the answer was complete and said Connection: close)
    // and the client's remaining records are drained undecrypted.
    beast::error_code ec;
    Tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (!linger) return;
    Tcp().expires_after(kCloseTimeout);
    Linger(kLingerBytes);
  }

  void Linger(size_t budget) {
    Tcp().async_read_some(asio::buffer(drain_), [self = this->shared_from_this(), budget](
                                                    beast::error_code ec, size_t n) {
      if (!ec && n < budget) self->Linger(budget - n);
    });
  }

  std::shared_ptr<ssl::context> tls_;
  Stream stream_;
  Server::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<bhttp::response<bhttp::string_body>> response_;
  bool first_ = true;
  bool counted_ = false;  // the answer being written is of a request counted in in_flight
  bool linger_ = false;
  std::array<char, 16 * 1024> drain_;
};

}  // namespace

void Server::Impl::Accept() {
  acceptor->async_accept(asio::make_strand(*io), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
      return AcceptFailed(ec);
    }
    accept_backoff = std::chrono::milliseconds(0);
    if (tls) {
      std::make_shared<Session<TlsStream>>(std::move(socket), *this, tls->Current())->Run();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(std::move(socket), *this, nullptr)->Run();
    }
    if (acceptor->is_open()) Accept();
  });
}

void Server::Impl::AcceptFailed(const beast::error_code& ec) {
  using std::chrono::milliseconds;
  accept_backoff = std::clamp(accept_backoff * 2, milliseconds(10), milliseconds(1000));
  ++accept_failures;
  const auto now = std::chrono::steady_clock::now();
  if (now - accept_logged >= std::chrono::seconds(1)) {
    kLog.Warn("accept failed; waiting before the next accept",
              {{"error", ec.message()},
               {"failures", accept_failures},
               {"backoff_ms", accept_backoff.count()}});
    accept_logged = now;
    accept_failures = 0;
  }
  accept_timer->expires_after(accept_backoff);
  accept_timer->async_wait([this](beast::error_code wait_ec) {
    if (!wait_ec && acceptor->is_open()) Accept();
  });
}

Server::Server(ServerOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
}

Server::~Server() { Stop(std::chrono::milliseconds(2000)); }

Result<void> Server::Start() {
  auto& im = *impl_;
  beast::error_code ec;
  auto address =
      asio::ip::make_address(im.options.host == "localhost" ? "127.0.0.1" : im.options.host, ec);
  if (ec) return Fail(ErrorCode::kInvalidArgument, "invalid listen host '" + im.options.host + "'");
  const auto& cert_file = im.options.tls_cert_file;
  const auto& key_file = im.options.tls_key_file;
  if (cert_file.empty() != key_file.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                std::string("TLS needs both tls_cert_file and tls_key_file; ") +
                    (cert_file.empty() ? "tls_cert_file" : "tls_key_file") + " is not set");
  }
  if (!cert_file.empty()) {
    im.tls = std::make_unique<TlsCertificate>(cert_file, key_file);
    if (auto loaded = im.tls->Load(); !loaded) return loaded;
  }
  tcp::endpoint endpoint(address, static_cast<unsigned short>(im.options.port));
  im.acceptor.emplace(*im.io);
  im.acceptor->open(endpoint.protocol(), ec);
  if (!ec) im.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) im.acceptor->bind(endpoint, ec);
  if (!ec) im.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Fail(ErrorCode::kUnavailable, "cannot listen on " + im.options.host + ":" +
                                             std::to_string(im.options.port) + ": " + ec.message());
  }
  im.bound_port = im.acceptor->local_endpoint().port();
  im.accept_timer.emplace(*im.io);
  im.Accept();
  int n = im.options.threads;
  if (n <= 0) n = std::max(4, static_cast<int>(std::thread::hardware_concurrency()) * 4);
  for (int i = 0; i < n; ++i) im.threads.emplace_back([&im] { im.io->run(); });
  return {};
}

int Server::port() const { return impl_->bound_port; }

void Server::Stop(std::chrono::milliseconds drain) {
  auto& im = *impl_;
  if (im.stopped.exchange(true)) return;
  im.draining = true;
  if (im.acceptor) {
    asio::post(*im.io, [&im] {
      beast::error_code ec;
      im.acceptor->close(ec);
    });
  }
  auto deadline = std::chrono::steady_clock::now() + drain;
  while (im.in_flight > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  im.io->stop();
  for (auto& t : im.threads) {
    if (t.joinable()) t.join();
  }
  im.acceptor.reset();
  im.accept_timer.reset();
  im.io.reset();
}

}  // namespace hf::http
