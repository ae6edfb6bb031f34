// The HTTP server's limits (ServerOptions, Admission) on a loopback port: open connections,
// handlers running at once and requests waiting for one, answer bytes not yet written, and a
// client that does not read its answer.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "common/http_server.hpp"
#include "testing/http_connection.hpp"
#include "testing/loopback.hpp"

namespace hf::http {
namespace {

using namespace std::chrono_literals;

using Connection = hf::testing::HttpConnection;
using hf::testing::GetRequest;

constexpr auto kPatience = Connection::kPatience;

// Polls `done` until it holds or kPatience passes.
template <class F>
bool Eventually(F done) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// A handler that blocks requests for /block until Release(), and answers others at once.
class Gate {
 public:
  Response operator()(const Request& req) {
    if (req.path.starts_with("/block")) {
      ++entered_;
      released_.wait();
      ++finished_;
      order_.push_back(req.path);  // only one runs at a time in these tests
    }
    return {200, "text/plain", req.path, {}};
  }
  // Lets every blocked request finish; idempotent.
  void Release() {
    std::call_once(released_once_, [this] { release_.set_value(); });
  }
  int entered() const { return entered_; }
  std::vector<std::string> order() const { return order_; }

 private:
  std::once_flag released_once_;
  std::promise<void> release_;
  std::shared_future<void> released_ = release_.get_future().share();
  std::atomic<int> entered_{0};
  std::atomic<int> finished_{0};
  std::vector<std::string> order_;
};

class HttpServerLimitsTest : public ::testing::Test {
 protected:
  void Start(ServerOptions options, Handler handler) {
    options.host = "127.0.0.1";
    options.error_response = [](const Request&, int status, const std::string& detail) {
      return Response{status, "application/problem+json", "{\"detail\":\"" + detail + "\"}", {}};
    };
    server_ = std::make_unique<Server>(std::move(options), std::move(handler));
    auto started = server_->Start();
    ASSERT_TRUE(started) << started.error().ToString();
  }
  // A failed test must not leave handlers blocked: Stop() would wait for them.
  void TearDown() override {
    gate_.Release();
    server_.reset();
  }
  int port() const { return server_->port(); }
  static void ExpectBusy(Connection::Reply reply, const std::string& detail) {
    EXPECT_EQ(reply.status, 503);
    EXPECT_EQ(reply.headers["retry-after"], "1");
    EXPECT_EQ(reply.headers["content-type"], "application/problem+json");
    EXPECT_EQ(reply.body, "{\"detail\":\"" + detail + "\"}");
  }

  Gate gate_;
  std::unique_ptr<Server> server_;
};

TEST_F(HttpServerLimitsTest, AConnectionPastMaxConnectionsIsAnswered503AndClosed) {
  ServerOptions options;
  options.threads = 2;
  options.max_connections = 2;
  Start(options, [](const Request& r) { return Response{200, "text/plain", r.path, {}}; });
  auto first = std::make_unique<Connection>(port());
  Connection second(port());
  for (Connection* c : {first.get(), &second}) {
    ASSERT_TRUE(c->Send(GetRequest("/in")));
    ASSERT_EQ(c->Read().status, 200);
  }
  EXPECT_EQ(server_->stats().connections, 2u);
  {
    Connection third(port());
    ASSERT_TRUE(third.Send(GetRequest("/over")));
    auto reply = third.Read();
    ExpectBusy(reply, "too many connections");
    EXPECT_EQ(reply.headers["connection"], "close");
    EXPECT_TRUE(third.Closed());
  }
  first.reset();  // frees a place
  ASSERT_TRUE(Eventually([&] { return server_->stats().connections == 1; }));
  Connection again(port());
  ASSERT_TRUE(again.Send(GetRequest("/again")));
  EXPECT_EQ(again.Read().body, "/again");
}

// Past max_running_handlers a request waits without a thread and runs when a handler ends,
// first in, first out; past max_queued_requests waiting it gets 503. Requests the `unlimited`
// predicate accepts are answered meanwhile, though every handler slot is taken.
TEST_F(HttpServerLimitsTest, RequestsPastTheHandlerLimitWaitInOrderThenAreRefused) {
  Gate& gate = gate_;
  ServerOptions options;
  options.threads = 2;
  options.max_running_handlers = 1;
  options.max_queued_requests = 2;
  options.unlimited = [](const Request& req) { return req.path == "/cheap"; };
  Start(options, std::ref(gate));
  Connection running(port());
  ASSERT_TRUE(running.Send(GetRequest("/block-1")));
  ASSERT_TRUE(Eventually([&] { return gate.entered() == 1; }));
  Connection second(port());
  ASSERT_TRUE(second.Send(GetRequest("/block-2")));
  ASSERT_TRUE(Eventually([&] { return server_->stats().queued == 1; }));
  Connection third(port());
  ASSERT_TRUE(third.Send(GetRequest("/block-3")));
  ASSERT_TRUE(Eventually([&] { return server_->stats().queued == 2; }));
  EXPECT_EQ(gate.entered(), 1);  // the waiting ones hold no handler

  Connection refused(port());
  ASSERT_TRUE(refused.Send(GetRequest("/x")));
  ExpectBusy(refused.Read(), "server busy");
  ASSERT_TRUE(refused.Send(GetRequest("/cheap")));  // the connection stays usable
  EXPECT_EQ(refused.Read().body, "/cheap");

  gate.Release();
  EXPECT_EQ(running.Read().body, "/block-1");
  EXPECT_EQ(second.Read().body, "/block-2");
  EXPECT_EQ(third.Read().body, "/block-3");
  EXPECT_EQ(gate.order(), (std::vector<std::string>{"/block-1", "/block-2", "/block-3"}));
  // A handler's slot is given back just after its answer is handed to the socket.
  EXPECT_TRUE(Eventually([&] { return server_->stats().running == 0; }));
  EXPECT_EQ(server_->stats().queued, 0u);
}

// A client that asks for a large answer and does not read it holds that answer only until a
// write makes no progress for read_timeout; meanwhile the answer counts against
// max_pending_response_bytes, and the connection's next (pipelined) request is not read.
TEST_F(HttpServerLimitsTest, AClientThatDoesNotReadIsDroppedAndItsAnswerFreed) {
  const std::string large(32 << 20, 'x');  // far more than the socket buffers hold
  std::atomic<int> after{0};
  ServerOptions options;
  options.threads = 4;
  options.read_timeout = 500ms;
  options.max_pending_response_bytes = 1 << 20;
  Start(options, [&](const Request& req) {
    if (req.path == "/large") return Response{200, "text/plain", large, {}};
    if (req.path == "/after") ++after;
    return Response{200, "text/plain", req.path, {}};
  });
  Connection reader(port());  // a client that reads
  ASSERT_TRUE(reader.Send(GetRequest("/warm-up")));
  ASSERT_EQ(reader.Read().status, 200);

  Connection stalled(port());
  ASSERT_TRUE(stalled.Send(GetRequest("/large") + GetRequest("/after")));
  ASSERT_TRUE(Eventually([&] { return server_->stats().pending_bytes == large.size(); }));
  ASSERT_TRUE(reader.Send(GetRequest("/small")));
  ExpectBusy(reader.Read(), "server busy");

  // The write stops progressing; read_timeout later the connection is closed and the answer
  // freed, and the pipelined request was never handled.
  EXPECT_TRUE(Eventually([&] { return server_->stats().pending_bytes == 0; }));
  EXPECT_TRUE(Eventually([&] { return server_->stats().connections == 1; }));
  EXPECT_EQ(after, 0);
  ASSERT_TRUE(reader.Send(GetRequest("/small")));
  EXPECT_EQ(reader.Read().body, "/small");
}

// A request queued while little was pending is refused, not run, if by its turn the answers
// not yet written have reached max_pending_response_bytes: its answer would add to them.
TEST_F(HttpServerLimitsTest, AQueuedRequestIsRefusedIfAnswersPiledUpWhileItWaited) {
  const std::string large(32 << 20, 'x');
  std::atomic<int> queued_ran{0};
  Gate gate;
  ServerOptions options;
  options.threads = 2;
  options.max_running_handlers = 1;  // one handler at a time
  options.max_pending_response_bytes = 1 << 20;
  Start(options, [&](const Request& req) {
    if (req.path == "/queued") ++queued_ran;
    if (req.path == "/block") gate(req);
    return Response{200, "text/plain", req.path == "/block" ? large : req.path, {}};
  });
  Connection stalled(port());  // asks for the large answer and never reads it
  ASSERT_TRUE(stalled.Send(GetRequest("/block")));
  ASSERT_TRUE(Eventually([&] { return gate.entered() == 1; }));
  Connection waiting(port());
  ASSERT_TRUE(waiting.Send(GetRequest("/queued")));
  ASSERT_TRUE(Eventually([&] { return server_->stats().queued == 1; }));
  gate.Release();
  ExpectBusy(waiting.Read(), "server busy");
  EXPECT_EQ(queued_ran, 0);
  EXPECT_TRUE(Eventually([&] { return server_->stats().running == 0; }));
}

// read_timeout bounds each write's progress, not the whole answer: a client that reads slowly
// but steadily gets an answer that takes far longer than read_timeout to send.
TEST_F(HttpServerLimitsTest, ASlowButSteadyReaderGetsTheWholeAnswer) {
  // The reader takes 64 KiB every 4 ms (<= 16 MB/s): 24 MiB, far more than the socket buffers
  // hold (a 64 KiB receive buffer, a send buffer of at most 4 MiB), take over 1.5 s, while the
  // longest wait for progress is the time to drain a third of the send buffer, < 0.3 s.
  const std::string large(24 << 20, 'x');
  ServerOptions options;
  options.threads = 2;
  options.read_timeout = 1s;
  Start(options, [&](const Request&) { return Response{200, "text/plain", large, {}}; });
  const int fd = hf::testing::ConnectToLoopback(port());
  ASSERT_GE(fd, 0);
  const std::string request = GetRequest("/large");
  ASSERT_EQ(send(fd, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  const auto start = std::chrono::steady_clock::now();
  size_t received = 0;
  const int window = 64 << 10;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &window, sizeof window);
  std::array<char, 64 << 10> chunk{};
  for (ssize_t n; (n = recv(fd, chunk.data(), chunk.size(), 0)) > 0;) {
    received += static_cast<size_t>(n);
    if (received >= large.size()) break;  // the body, give or take the header
    std::this_thread::sleep_for(4ms);
  }
  close(fd);
  EXPECT_GT(std::chrono::steady_clock::now() - start, options.read_timeout);  // else no proof
  EXPECT_GE(received, large.size());
}

}  // namespace
}  // namespace hf::http
