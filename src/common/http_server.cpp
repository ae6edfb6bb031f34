#include "common/http_server.hpp"

#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "common/log.hpp"

namespace hf::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

const log::Logger kLog{"http"};
// The most a client may still send after an early answer before the connection is closed.
constexpr size_t kLingerBytes = 64 << 20;

}  // namespace

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  // Reset by Stop(): destroying it destroys every session still waiting on a socket, which
  // closes the connection.
  std::optional<asio::io_context> io{std::in_place};
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::atomic<bool> draining{false};
  std::atomic<int> in_flight{0};  // requests being handled or answered
  std::atomic<bool> stopped{false};
  int bound_port = 0;

  void Accept();
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server::Impl& server) : stream_(std::move(socket)), server_(server) {}

  void Run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&Session::Read, shared_from_this()));
  }

 private:
  void Read() {
    if (server_.draining) return Close();
    parser_.emplace();
    parser_->body_limit(server_.options.body_limit);
    parser_->header_limit(64 * 1024);
    stream_.expires_after(first_ ? server_.options.read_timeout : server_.options.idle_timeout);
    first_ = false;
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&Session::OnRead, shared_from_this()));
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
    auto endpoint = stream_.socket().remote_endpoint(rec);
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
    stream_.expires_after(server_.options.read_timeout);
    bhttp::async_write(stream_, *out,
                       [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                         self->response_.reset();
                         if (std::exchange(self->counted_, false)) --self->server_.in_flight;
                         if (ec || !keep_alive) {
                           self->Close();
                           if (!ec && self->linger_) {
                             self->stream_.expires_after(std::chrono::seconds(5));
                             self->Linger(kLingerBytes);
                           }
                           return;
                         }
                         self->Read();
                       });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  // After answering before the request was read (413), reads and drops what the client still
  // sends, bounded in bytes and time: closing with unread data would reset the connection, and a
  // client still writing its body would get the reset instead of the answer.
  void Linger(size_t budget) {
    stream_.async_read_some(asio::buffer(drain_),
                            [self = shared_from_this(), budget](beast::error_code ec, size_t n) {
                              if (!ec && n < budget) self->Linger(budget - n);
                            });
  }

  beast::tcp_stream stream_;
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
      kLog.Warn("accept failed", {{"error", ec.message()}});
    } else {
      std::make_shared<Session>(std::move(socket), *this)->Run();
    }
    if (acceptor->is_open()) Accept();
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
  im.io.reset();
}

}  // namespace hf::http
