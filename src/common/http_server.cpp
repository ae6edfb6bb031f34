#include "common/http_server.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/allocator.hpp"
#include "common/cpu_count.hpp"
#include "common/log.hpp"
#include "common/log_throttle.hpp"
#include "common/metrics.hpp"
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
// The most a kept-alive connection reads while it waits for its next request.
constexpr size_t kFirstReadBytes = 16 << 10;
// An answer at least this large is followed by ReturnFreeMemory (see Written).
constexpr size_t kReturnMemoryAfterBytes = 1 << 20;
// How long a closing connection may take: draining after an early answer, TLS close_notify.
constexpr auto kCloseTimeout = std::chrono::seconds(5);
// How often the certificate files are checked for a change.
constexpr auto kCertificateCheckInterval = std::chrono::seconds(1);
// Descriptors max_connections leaves free under RLIMIT_NOFILE: the database pool, the broker,
// the other servers of the process, files.
constexpr size_t kDescriptorReserve = 64;
// Connections past max_connections answered 503 at once; more are closed unanswered.
constexpr int kMaxRefusing = 64;
// The most a streamed body (Response::stream) may have queued for a client that does not read:
// past it the stream is closed.
constexpr size_t kStreamBacklogBytes = 256 << 10;

// The limits of `options`: max_connections within RLIMIT_NOFILE, and the handler limit.
Admission::Limits AdmissionLimits(const ServerOptions& options) {
  Admission::Limits limits;
  limits.max_connections = std::max<size_t>(1, options.max_connections);
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur != RLIM_INFINITY) {
    const size_t usable = files.rlim_cur > 2 * kDescriptorReserve
                              ? static_cast<size_t>(files.rlim_cur) - kDescriptorReserve
                              : static_cast<size_t>(files.rlim_cur) / 2;
    if (usable < limits.max_connections) {
      kLog.Warn("max_connections lowered to fit the descriptor limit",
                {{"max_connections", options.max_connections},
                 {"rlimit_nofile", static_cast<uint64_t>(files.rlim_cur)},
                 {"now", usable}});
      limits.max_connections = std::max<size_t>(1, usable);
    }
  }
  limits.max_running =
      options.max_running_handlers > 0 ? options.max_running_handlers : CpuCount() + 2;
  limits.max_queued = options.max_queued_requests;
  limits.max_pending_bytes = options.max_pending_response_bytes;
  return limits;
}

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

// The connections waiting for a deferred answer (Response::deferred), shared with their Finish
// callbacks, which may outlive the server. It holds each such connection (nothing else does while
// it waits); Stop() closes it and lets them go while the io_context still exists, so a late
// Finish finds it closed and touches nothing of the server.
struct DeferredAnswers {
  std::mutex mu;
  bool open = true;          // guarded by mu; a Finish posts under mu, so Stop() waits it out
  uint64_t next_ticket = 0;  // guarded by mu
  std::unordered_map<uint64_t, std::shared_ptr<void>> waiting;  // guarded by mu
};

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  // Reset by Stop(): destroying it destroys every session still waiting on a socket, which
  // closes the connection.
  std::optional<asio::io_context> io{std::in_place};
  // Keeps the threads running while no socket operation is pending, e.g. while the only
  // requests are with worker threads or deferred; until Stop().
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
  std::optional<tcp::acceptor> acceptor;
  std::unique_ptr<TlsCertificate> tls;  // null: plain HTTP
  std::optional<Admission> admission;   // set by Start()
  std::vector<std::thread> threads;
  // Where the handlers that may block run, one thread per handler slot (Admission's max_running).
  std::optional<asio::thread_pool> workers;
  std::atomic<bool> draining{false};
  std::atomic<int> in_flight{0};  // requests being handled, waiting for a handler or answered
  std::atomic<bool> stopped{false};
  int bound_port = 0;
  // Accept errors (EMFILE at the descriptor limit, ENOBUFS) would otherwise spin the accept
  // loop: it waits, doubling from 10 ms to 1 s. Touched only by the one pending accept's handler.
  std::optional<asio::steady_timer> accept_timer;
  std::chrono::milliseconds accept_backoff{0};
  log::Throttle accept_log;
  // Connections past max_connections being answered 503; past kMaxRefusing they are closed
  // unanswered.
  std::atomic<int> refusing{0};
  log::Throttle refuse_log;
  std::shared_ptr<DeferredAnswers> deferred = std::make_shared<DeferredAnswers>();
  // The sending ends of the streamed bodies, closed by Stop().
  std::mutex streams_mu;  // guards streams
  std::vector<std::weak_ptr<BodyStream>> streams;
  metrics::Counter& handler_exceptions =
      metrics::Registry::Default()
          .AddCounter("hyperfleet_http_handler_exceptions_total",
                      "Requests whose handler threw (answered 500).")
          .Get();

  void Accept();
  void AcceptFailed(const beast::error_code& ec);
  void AddStream(std::weak_ptr<BodyStream> stream);
  void CloseStreams();
};

namespace {

// Whether `ec` says the client sent something that is not HTTP/1.1 (answered 400), as opposed
// to the connection ending or failing.
bool IsMalformed(const beast::error_code& ec) {
  if (ec.category() != bhttp::make_error_code(bhttp::error::bad_method).category()) return false;
  return ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message &&
         ec != bhttp::error::short_read && ec != bhttp::error::need_more &&
         ec != bhttp::error::need_buffer;
}

// One connection: reads requests, calls the handler, writes the answers. `Stream` is
// beast::tcp_stream (HTTP) or TlsStream (HTTPS, which handshakes first); the rest is the same.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  // `tls`: the context of a TLS connection, held for its lifetime (null for plain HTTP).
  // `admitted`: the connection was counted by Admission::OpenConnection() (the session uncounts
  // it); otherwise it is past max_connections and is answered 503 and closed.
  Session(tcp::socket socket, Server::Impl& server, std::shared_ptr<ssl::context> tls,
          bool admitted)
      : remote_(RemoteAddress(socket)),
        tls_(std::move(tls)),
        stream_(MakeStream(std::move(socket), tls_.get())),
        server_(server),
        admitted_(admitted) {}

  ~Session() {
    server_.admission->RemovePending(pending_);
    if (admitted_) {
      server_.admission->CloseConnection();
    } else {
      --server_.refusing;
    }
  }

  void Run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::Start, this->shared_from_this()));
  }

 private:
  // The peer's address, read once per connection (a system call per request otherwise).
  static std::string RemoteAddress(const tcp::socket& socket) {
    beast::error_code ec;
    const auto endpoint = socket.remote_endpoint(ec);
    return ec ? std::string() : endpoint.address().to_string();
  }

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
                                if (!ec) self->Begin();
                              });
    } else {
      Begin();
    }
  }

  void Begin() {
    if (admitted_) return ReadHeader();
    linger_ = true;  // the client's request is not read
    Write(Busy("too many connections"), false, 11);
  }

  // Whether bytes of the next request were already received: read ahead into buffer_, or, with
  // TLS, decrypted or still encrypted inside OpenSSL.
  // A kept-alive connection waits up to idle_timeout for the first bytes of its next request
  // (read straight into buffer_, through TLS when it is on, so bytes the TLS layer already
  // holds count too); from then on the whole request has read_timeout (ReadHeader).
  void AwaitNextRequest() {
    if (server_.draining) return Close();
    if (buffer_.size() > 0) return ReadHeader();  // pipelined: already here
    Tcp().expires_after(server_.options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec || self->server_.draining) return self->Close();
                              self->buffer_.commit(n);
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->body_limit(server_.options.body_limit);
    parser_->header_limit(static_cast<uint32_t>(server_.options.header_limit));
    Tcp().expires_after(server_.options.read_timeout);  // for the header and the body
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](beast::error_code ec, size_t) {
                               if (ec) return self->Refuse(ec);
                               self->OnHeader();
                             });
  }

  void OnHeader() {
    if (parser_->get().target().size() > server_.options.target_limit) {
      return Refuse(bhttp::error::header_limit);
    }
    if (parser_->is_done()) return OnRequest();
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->Refuse(ec);
                        self->OnRequest();
                      });
  }

  // Answers a request that could not be read (413, 414, 431, 400) and closes, or just closes
  // when the connection ended or failed.
  void Refuse(beast::error_code ec) {
    Request req;  // what the parser got to: the request line, or nothing
    req.method = std::string(parser_->get().method_string());
    req.target = std::string(parser_->get().target());
    if (req.target.size() <= server_.options.target_limit) {
      ParseTarget(req.target, req.path, req.query);
    }
    int status = 400;
    std::string detail = "malformed request";
    if (ec == bhttp::error::body_limit) {
      status = 413;
      detail = "request body too large";
    } else if (ec == bhttp::error::header_limit) {
      status = TargetTooLong() ? 414 : 431;
      detail = status == 414 ? "request target too long" : "request header fields too large";
    } else if (!IsMalformed(ec)) {
      return Close();  // end of stream, timeout, reset
    }
    linger_ = true;  // the client may still be sending
    Write(ErrorResponse(req, status, detail), false, 11);
  }

  // Whether the request target is over target_limit, in the parsed request line or, when the
  // header was too large to parse, in the request line still in buffer_.
  bool TargetTooLong() {
    if (!parser_->get().target().empty()) {
      return parser_->get().target().size() > server_.options.target_limit;
    }
    const std::string_view data(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    const size_t start = data.find(' ');
    if (start == std::string_view::npos) return false;
    size_t end = data.find_first_of(" \r\n", start + 1);
    if (end == std::string_view::npos) end = data.size();
    return end - start - 1 > server_.options.target_limit;
  }

  void OnRequest() {
    auto& msg = parser_->get();
    req_ = Request{};
    req_.method = std::string(msg.method_string());
    req_.target = std::string(msg.target());
    req_.body = std::move(msg.body());
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req_.headers[name] = std::string(field.value());
    }
    req_.remote = remote_;
    keep_alive_ = msg.keep_alive();
    version_ = msg.version();
    if (!ParseTarget(req_.target, req_.path, req_.query)) {
      return Write(ErrorResponse(req_, 400, "malformed request target"), KeepAlive(), version_);
    }
    ++server_.in_flight;  // until the answer is written (Written)
    counted_ = true;
    if (server_.options.unlimited && server_.options.unlimited(req_)) return Handle(false);
    auto resume = [self = this->shared_from_this()](bool run) {
      asio::post(self->stream_.get_executor(), [self, run] {
        if (run) return self->Handle(true);
        self->Write(self->Busy("server busy"), self->KeepAlive(), self->version_);
      });
    };
    switch (server_.admission->Admit(std::move(resume))) {
      case Admission::Decision::kRun:
        return Handle(true);
      case Admission::Decision::kQueued:
        return;  // Handle() runs when a handler slot is free
      case Admission::Decision::kRefused:
        return Write(Busy("server busy"), KeepAlive(), version_);
    }
  }

  // Runs the handler on req_: `admitted` (it holds a handler slot, to give back) on a worker
  // thread, the answer then written on the session's strand; otherwise (an unlimited request,
  // which does not block) here.
  void Handle(bool admitted) {
    if (!admitted) {
      if (auto res = CallHandler()) Write(std::move(*res), KeepAlive(), version_);
      return;
    }
    asio::post(*server_.workers, [self = this->shared_from_this()] {
      auto res = self->CallHandler();
      if (!res) return self->server_.admission->Finished();
      asio::post(self->stream_.get_executor(), [self, res = std::move(*res)]() mutable {
        // The answer counts as pending before the slot passes on, so the next queued request
        // sees it against max_pending_response_bytes.
        self->Write(std::move(res), self->KeepAlive(), self->version_);
        self->server_.admission->Finished();
      });
    });
  }

  // The handler's answer to req_, or nullopt when it answers later (Response::deferred, which
  // has been handed its Finish).
  std::optional<Response> CallHandler() {
    try {
      Response res = server_.handler(req_);
      if (!res.deferred) return res;
      res.deferred(DeferredFinish());
      return std::nullopt;
    } catch (...) {
      return HandlerFailed(std::current_exception());
    }
  }

  // The Finish of a deferred answer: runs the answer's maker on the session's strand and writes it.
  http::Finish DeferredFinish() {
    auto answers = server_.deferred;
    uint64_t ticket = 0;
    {
      std::lock_guard lock(answers->mu);
      if (!answers->open) return [](std::function<Response()>) {};  // stopping: never answered
      ticket = answers->next_ticket++;
      answers->waiting.emplace(ticket, this->shared_from_this());
    }
    return [answers, ticket, session = this->weak_from_this()](std::function<Response()> make) {
      std::lock_guard lock(answers->mu);
      if (!answers->open) return;  // the server stopped: nothing of it may be touched
      auto held = answers->waiting.extract(ticket);
      auto self = session.lock();  // alive while `held` holds it
      if (held.empty() || !self) return;
      asio::post(self->stream_.get_executor(), [self, make = std::move(make)] {
        Response res;
        try {
          res = make();
        } catch (...) {
          res = self->HandlerFailed(std::current_exception());
        }
        self->Write(std::move(res), self->KeepAlive(), self->version_);
      });
    };
  }

  // Logs and counts a handler's exception and answers 500; never throws (a message or path of
  // invalid UTF-8 included).
  Response HandlerFailed(std::exception_ptr error) noexcept {
    server_.handler_exceptions.Inc();
    try {
      std::string what = "an exception not derived from std::exception";
      try {
        std::rethrow_exception(std::move(error));
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      kLog.Error("handler threw", {{"error", what}, {"method", req_.method}, {"path", req_.path}});
    } catch (...) {
    }
    return ErrorResponse(req_, 500, "internal error");
  }

  bool KeepAlive() const { return keep_alive_ && !server_.draining; }

  Response ErrorResponse(const Request& req, int status, const std::string& detail) noexcept {
    if (server_.options.error_response) {
      try {
        return server_.options.error_response(req, status, detail);
      } catch (...) {
        // the plain answer below
      }
    }
    return Response{status, "text/plain", detail + "\n", {}};
  }

  // 503 with Retry-After: 1, for a server at one of its limits.
  Response Busy(const std::string& detail) {
    Response res = ErrorResponse(req_, 503, detail);
    res.headers.emplace_back("Retry-After", "1");
    int suppressed = 0;
    if (server_.refuse_log.Allow(suppressed)) {
      const auto stats = server_.admission->stats();
      kLog.Warn("request refused: the server is at a limit",
                {{"reason", detail},
                 {"refused_since_last_line", suppressed},
                 {"connections", stats.connections},
                 {"running", stats.running},
                 {"queued", stats.queued},
                 {"pending_response_bytes", stats.pending_bytes}});
    }
    return res;
  }

  void Write(Response res, bool keep_alive, unsigned version) {
    if (res.stream) return StartStream(std::move(res), version);
    response_.emplace(static_cast<bhttp::status>(res.status), version);
    auto& out = *response_;
    out.set(bhttp::field::server, "hyperfleet");
    if (!res.body.empty() || res.status != 204) {
      out.set(bhttp::field::content_type, res.content_type);
    }
    for (const auto& [k, v] : res.headers) out.set(k, v);
    out.body() = std::move(res.body);
    out.keep_alive(keep_alive);
    out.prepare_payload();
    pending_ = out.body().size();
    server_.admission->AddPending(pending_);
    serializer_.emplace(out);
    WriteSome();
  }

  // Writes the answer a piece at a time; each piece has read_timeout, so a client that stops
  // reading is dropped after read_timeout without progress.
  void WriteSome() {
    Tcp().expires_after(server_.options.read_timeout);
    bhttp::async_write_some(stream_, *serializer_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              if (!ec && !self->serializer_->is_done()) return self->WriteSome();
                              self->Written(ec);
                            });
  }

  void Written(beast::error_code ec) {
    const bool keep_alive = response_->keep_alive();
    serializer_.reset();
    response_.reset();
    const size_t written = std::exchange(pending_, 0);
    server_.admission->RemovePending(written);
    // A large answer leaves the many small blocks it was built from (a list's items) free where
    // the allocator keeps them; hand their pages back so memory falls when clients leave.
    if (written >= kReturnMemoryAfterBytes) ReturnFreeMemory();
    if (std::exchange(counted_, false)) --server_.in_flight;
    if (ec || !keep_alive) return Close(!ec && linger_);
    AwaitNextRequest();
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

  // --- a streamed body (Response::stream) ---

  // The sending end handed to the handler's stream callback: posts to the session's strand.
  class Sink : public BodyStream {
   public:
    Sink(std::weak_ptr<Session> session, asio::any_io_executor executor)
        : session_(std::move(session)), executor_(std::move(executor)) {}
    bool Send(std::string data) override {
      if (closed_) return false;
      if (backlog_.fetch_add(data.size()) + data.size() > kStreamBacklogBytes) {
        Close();
        return false;
      }
      asio::post(executor_, [session = session_, data = std::move(data)]() mutable {
        if (auto s = session.lock()) s->StreamData(std::move(data));
      });
      return true;
    }
    void Close() override {
      if (closed_.exchange(true)) return;
      asio::post(executor_, [session = session_] {
        if (auto s = session.lock()) s->EndStream();
      });
    }
    bool closed() const override { return closed_; }
    void Written(size_t n) { backlog_ -= n; }
    void MarkClosed() { closed_ = true; }

   private:
    const std::weak_ptr<Session> session_;
    const asio::any_io_executor executor_;
    std::atomic<bool> closed_{false};
    std::atomic<size_t> backlog_{0};  // bytes sent but not yet written
  };

  // Writes the status and headers, then what the sink is sent, until it closes.
  void StartStream(Response res, unsigned version) {
    chunked_ = version >= 11;
    head_.emplace(static_cast<bhttp::status>(res.status), version);
    head_->set(bhttp::field::server, "hyperfleet");
    head_->set(bhttp::field::content_type, res.content_type);
    for (const auto& [k, v] : res.headers) head_->set(k, v);
    head_->keep_alive(false);
    if (chunked_) head_->chunked(true);
    sink_ = std::make_shared<Sink>(this->weak_from_this(), stream_.get_executor());
    server_.AddStream(sink_);
    if (server_.draining) sink_->Close();
    res.stream(sink_);
    head_serializer_.emplace(*head_);
    Tcp().expires_after(server_.options.read_timeout);
    bhttp::async_write_header(stream_, *head_serializer_,
                              [self = this->shared_from_this()](beast::error_code ec, size_t) {
                                self->head_serializer_.reset();
                                if (ec) return self->StreamFailed();
                                self->head_written_ = true;
                                self->Tcp().expires_never();
                                self->WatchClient();
                                self->Pump();
                              });
  }

  // A read that only ends when the client goes (or sends something, which is dropped), so a
  // client that leaves frees its stream without waiting for the next write.
  void WatchClient() {
    Tcp().async_read_some(asio::buffer(drain_),
                          [self = this->shared_from_this()](beast::error_code ec, size_t) {
                            if (!ec) return self->WatchClient();
                            self->sink_->MarkClosed();
                            self->EndStream();
                          });
  }

  void StreamData(std::string data) {
    if (stream_ending_) return sink_->Written(data.size());
    server_.admission->AddPending(data.size());
    pending_ += data.size();
    stream_queue_.push_back(std::move(data));
    Pump();
  }

  void EndStream() {
    stream_ending_ = true;
    Pump();
  }

  // Writes the next queued piece (as a chunk), or the last chunk once ending.
  void Pump() {
    if (!head_written_ || stream_writing_ || stream_done_) return;
    size_t payload = 0;
    if (!stream_queue_.empty()) {
      std::string data = std::move(stream_queue_.front());
      stream_queue_.pop_front();
      payload = data.size();
      if (chunked_) {
        char size[20];
        const int n = std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
        current_.assign(size, static_cast<size_t>(n)).append(data).append("\r\n");
      } else {
        current_ = std::move(data);
      }
    } else if (stream_ending_) {
      stream_done_ = true;
      if (!chunked_) return Finish(false);
      current_ = "0\r\n\r\n";
    } else {
      return;
    }
    stream_writing_ = true;
    Tcp().expires_after(server_.options.read_timeout);
    asio::async_write(stream_, asio::buffer(current_),
                      [self = this->shared_from_this(), payload](beast::error_code ec, size_t) {
                        self->stream_writing_ = false;
                        self->sink_->Written(payload);
                        self->server_.admission->RemovePending(payload);
                        self->pending_ -= payload;
                        if (ec) return self->StreamFailed();
                        self->Tcp().expires_never();
                        if (self->stream_done_) return self->Finish(false);
                        self->Pump();
                      });
  }

  void StreamFailed() {
    sink_->MarkClosed();
    stream_done_ = true;
    Finish(true);
  }

  // The stream is over: uncounts it and closes the connection (`failed`: it is already broken).
  void Finish(bool failed) {
    for (const auto& data : stream_queue_) sink_->Written(data.size());
    server_.admission->RemovePending(pending_);
    pending_ = 0;
    stream_queue_.clear();
    if (std::exchange(counted_, false)) --server_.in_flight;
    beast::error_code ec;
    if (failed) {
      Tcp().socket().close(ec);
      return;
    }
    // The body is complete (its last chunk sent): no TLS close_notify, whose exchange would race
    // the pending read of WatchClient; that read ends when the client closes, or at the timeout.
    Tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
    Tcp().expires_after(kCloseTimeout);
  }

  using Message = bhttp::response<bhttp::string_body>;

  const std::string remote_;
  std::shared_ptr<ssl::context> tls_;
  Stream stream_;
  Server::Impl& server_;
  const bool admitted_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Request req_;  // the request being handled (or waiting for a handler)
  bool keep_alive_ = false;
  unsigned version_ = 11;
  std::optional<Message> response_;
  std::optional<bhttp::serializer<false, bhttp::string_body>> serializer_;
  size_t pending_ = 0;    // bytes of response_ counted in Admission's pending bytes
  bool counted_ = false;  // the answer being written is of a request counted in in_flight
  bool linger_ = false;
  std::array<char, 16 * 1024> drain_;
  // A streamed body: its head, sending end, queue and state (touched on the strand only).
  std::optional<bhttp::response<bhttp::empty_body>> head_;
  std::optional<bhttp::response_serializer<bhttp::empty_body>> head_serializer_;
  std::shared_ptr<Sink> sink_;
  std::deque<std::string> stream_queue_;
  std::string current_;  // the piece being written
  bool chunked_ = true;
  bool head_written_ = false;
  bool stream_writing_ = false;
  bool stream_ending_ = false;
  bool stream_done_ = false;
};

}  // namespace

void Server::Impl::Accept() {
  acceptor->async_accept(asio::make_strand(*io), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
      return AcceptFailed(ec);
    }
    accept_backoff = std::chrono::milliseconds(0);
    const bool admitted = admission->OpenConnection();
    if (admitted || ++refusing <= kMaxRefusing) {
      if (tls) {
        std::make_shared<Session<TlsStream>>(std::move(socket), *this, tls->Current(), admitted)
            ->Run();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(std::move(socket), *this, nullptr, admitted)
            ->Run();
      }
    } else {
      --refusing;  // too many being answered already: closed unanswered
    }
    if (acceptor->is_open()) Accept();
  });
}

void Server::Impl::AddStream(std::weak_ptr<BodyStream> stream) {
  std::lock_guard lock(streams_mu);
  std::erase_if(streams, [](const auto& s) { return s.expired(); });
  streams.push_back(std::move(stream));
}

void Server::Impl::CloseStreams() {
  std::vector<std::weak_ptr<BodyStream>> open;
  {
    std::lock_guard lock(streams_mu);
    open.swap(streams);
  }
  for (const auto& weak : open) {
    if (auto stream = weak.lock()) stream->Close();
  }
}

void Server::Impl::AcceptFailed(const beast::error_code& ec) {
  using std::chrono::milliseconds;
  accept_backoff = std::clamp(accept_backoff * 2, milliseconds(10), milliseconds(1000));
  if (int suppressed = 0; accept_log.Allow(suppressed)) {
    kLog.Warn("accept failed; waiting before the next accept",
              {{"error", ec.message()},
               {"failures", suppressed + 1},
               {"backoff_ms", accept_backoff.count()}});
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
  int n = im.options.threads;
  if (n <= 0) n = std::max(2, static_cast<int>(CpuCount()));
  im.admission.emplace(AdmissionLimits(im.options));
  im.workers.emplace(im.admission->limits().max_running);
  im.keep_running.emplace(im.io->get_executor());
  im.accept_timer.emplace(*im.io);
  im.Accept();
  for (int i = 0; i < n; ++i) im.threads.emplace_back([&im] { im.io->run(); });
  return {};
}

int Server::port() const { return impl_->bound_port; }

Admission::Stats Server::stats() const {
  return impl_->admission ? impl_->admission->stats() : Admission::Stats{};
}

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
  im.CloseStreams();  // ended cleanly (the last chunk), then counted out of in_flight
  auto deadline = std::chrono::steady_clock::now() + drain;
  while (im.in_flight > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::unordered_map<uint64_t, std::shared_ptr<void>> unanswered;
  {
    std::lock_guard lock(im.deferred->mu);
    im.deferred->open = false;
    unanswered.swap(im.deferred->waiting);
  }
  im.keep_running.reset();
  im.io->stop();
  for (auto& t : im.threads) {
    if (t.joinable()) t.join();
  }
  unanswered.clear();  // their connections close
  // Waits for the handlers running (each ends within its own timeouts) and drops those not
  // started, with their connections, while the io_context still exists.
  im.workers.reset();
  im.acceptor.reset();
  im.accept_timer.reset();
  if (im.admission) im.admission->DropQueued();  // their sockets go before the io_context
  im.io.reset();
}

}  // namespace hf::http
