// The HTTP server on a loopback port with small handlers, talked to with raw sockets (to see the
// connection itself) and with HttpClient: request decoding, keep-alive, its own error answers,
// the body limit, timeouts, and drain on Stop().
#include "common/http_server.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/http_client.hpp"
#include "common/metrics.hpp"
#include "testing/http_connection.hpp"

namespace hf::http {
namespace {

using namespace std::chrono_literals;

using Connection = hf::testing::HttpConnection;
using hf::testing::GetRequest;
using hf::testing::PostRequest;

// How long a test waits for anything before failing instead of hanging.
constexpr auto kPatience = Connection::kPatience;

// A problem+json error answer, as the API installs, naming the status and the path.
Response ProblemAnswer(const Request& req, int status, const std::string& detail) {
  return {status,
          "application/problem+json",
          "{\"status\":" + std::to_string(status) + ",\"detail\":\"" + detail +
              "\",\"instance\":\"" + req.path + "\"}",
          {}};
}

// A started server on 127.0.0.1 answering with `handler` (4 server threads unless set).
std::unique_ptr<Server> StartServer(Handler handler, ServerOptions options = {}) {
  options.host = "127.0.0.1";
  options.port = 0;
  if (options.threads == 0) options.threads = 4;
  auto server = std::make_unique<Server>(std::move(options), std::move(handler));
  auto started = server->Start();
  EXPECT_TRUE(started) << started.error().ToString();
  EXPECT_GT(server->port(), 0);
  return server;
}

// Answers 200 with "<method> <path>" as the body.
Response Echo(const Request& req) { return {200, "text/plain", req.method + " " + req.path, {}}; }

TEST(HttpServer, HandlersSeeTheDecodedRequest) {
  std::promise<Request> seen;
  auto server = StartServer([&](const Request& req) {
    seen.set_value(req);
    return Response{201, "application/json", "{\"ok\":true}", {{"X-Reply", "yes"}}};
  });
  HttpClient client;
  auto res = client.Send(
      {"POST",
       "http://127.0.0.1:" + std::to_string(server->port()) + "/api/things/?name=a%20b&tag=x&tag=y",
       {{"X-Request-Id", "req-7"}, {"Content-Type", "application/json"}},
       "{\"a\":1}"});
  ASSERT_TRUE(res) << res.error().ToString();
  EXPECT_EQ(res->status, 201);
  EXPECT_EQ(res->body, "{\"ok\":true}");
  EXPECT_EQ(res->Header("content-type"), "application/json");
  EXPECT_EQ(res->Header("x-reply"), "yes");
  EXPECT_EQ(res->Header("server"), "hyperfleet");

  const Request req = seen.get_future().get();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/api/things/?name=a%20b&tag=x&tag=y");
  EXPECT_EQ(req.path, "/api/things");  // trailing '/' removed
  EXPECT_EQ(req.Query("name"), "a b");
  EXPECT_EQ(req.QueryAll("tag"), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(req.Header("x-request-id"), "req-7");
  EXPECT_EQ(req.body, "{\"a\":1}");
  EXPECT_EQ(req.remote, "127.0.0.1");
}

TEST(HttpServer, NoContentHasNoContentType) {
  auto server = StartServer([](const Request&) {
    return Response{204, "application/json", "", {}};
  });
  Connection c(server->port());
  ASSERT_TRUE(c.Send(GetRequest("/x")));
  auto reply = c.Read();
  EXPECT_EQ(reply.status, 204);
  EXPECT_FALSE(reply.headers.contains("content-type"));
}

TEST(HttpServer, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto server = StartServer(Echo);
  Connection c(server->port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send(GetRequest("/first")));
  auto first = c.Read();
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "GET /first");
  ASSERT_TRUE(c.Send(PostRequest("/second", "payload")));
  auto second = c.Read();
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body, "POST /second");
  // Pipelined: both requests sent before either answer is read, answered in order.
  ASSERT_TRUE(c.Send(GetRequest("/third") + GetRequest("/fourth")));
  EXPECT_EQ(c.Read().body, "GET /third");
  EXPECT_EQ(c.Read().body, "GET /fourth");
}

TEST(HttpServer, ConnectionCloseAndHttp10EndTheConnection) {
  auto server = StartServer(Echo);
  {
    Connection c(server->port());
    ASSERT_TRUE(c.Send(GetRequest("/bye", "Connection: close\r\n")));
    auto reply = c.Read();
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.headers["connection"], "close");
    EXPECT_TRUE(c.Closed());
  }
  {
    Connection c(server->port());
    ASSERT_TRUE(c.Send("GET /old HTTP/1.0\r\n\r\n"));
    EXPECT_EQ(c.Read().body, "GET /old");
    EXPECT_TRUE(c.Closed());
  }
}

TEST(HttpServer, AThrowingHandlerIsA500CountedAndTheConnectionStaysUsable) {
  auto& thrown =
      metrics::Registry::Default().AddCounter("hyperfleet_http_handler_exceptions_total", "").Get();
  const double before = thrown.Value();
  ServerOptions options;
  options.error_response = ProblemAnswer;
  auto server = StartServer(
      [](const Request& req) -> Response {
        if (req.path == "/boom") throw std::runtime_error("boom");
        if (req.path == "/\xff\xfe") throw std::runtime_error("bad \xff\xfe bytes");  // to the log
        if (req.path == "/int") throw 42;  // not a std::exception
        return Echo(req);
      },
      options);
  Connection c(server->port());
  ASSERT_TRUE(c.Send(GetRequest("/boom")));
  auto reply = c.Read();
  EXPECT_EQ(reply.status, 500);
  EXPECT_EQ(reply.headers["content-type"], "application/problem+json");
  EXPECT_EQ(reply.body, R"({"status":500,"detail":"internal error","instance":"/boom"})");
  for (const char* path : {"/%FF%FE", "/int"}) {
    ASSERT_TRUE(c.Send(GetRequest(path)));
    EXPECT_EQ(c.Read().status, 500) << path;
  }
  ASSERT_TRUE(c.Send(GetRequest("/after")));
  EXPECT_EQ(c.Read().body, "GET /after");
  EXPECT_EQ(thrown.Value() - before, 3);
}

TEST(HttpServer, AThrowingErrorResponseFallsBackToPlainText) {
  ServerOptions options;
  options.error_response = [](const Request&, int, const std::string&) -> Response {
    throw std::runtime_error("cannot render");
  };
  auto server =
      StartServer([](const Request&) -> Response { throw std::runtime_error("x"); }, options);
  Connection c(server->port());
  ASSERT_TRUE(c.Send(GetRequest("/x")));
  auto reply = c.Read();
  EXPECT_EQ(reply.status, 500);
  EXPECT_EQ(reply.body, "internal error\n");
  ASSERT_TRUE(c.Send(GetRequest("/y")));  // still serving
  EXPECT_EQ(c.Read().status, 500);
}

TEST(HttpServer, AMalformedTargetIsA400WithoutCallingTheHandler) {
  std::atomic<int> calls{0};
  ServerOptions options;
  options.error_response = ProblemAnswer;
  auto server = StartServer(
      [&](const Request& req) {
        ++calls;
        return Echo(req);
      },
      options);
  Connection c(server->port());
  ASSERT_TRUE(c.Send(GetRequest("/bad%zz")));
  auto reply = c.Read();
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.headers["content-type"], "application/problem+json");
  EXPECT_NE(reply.body.find("malformed request target"), std::string::npos);
  EXPECT_EQ(calls, 0);
}

TEST(HttpServer, DefaultErrorAnswersArePlainText) {
  auto server = StartServer([](const Request&) -> Response { throw std::runtime_error("x"); });
  Connection c(server->port());
  ASSERT_TRUE(c.Send(GetRequest("/x")));
  auto reply = c.Read();
  EXPECT_EQ(reply.status, 500);
  EXPECT_EQ(reply.headers["content-type"], "text/plain");
  EXPECT_EQ(reply.body, "internal error\n");
}

TEST(HttpServer, ABodyOverTheLimitIs413AndClosesTheConnection) {
  std::atomic<int> calls{0};
  ServerOptions options;
  options.body_limit = 1024;
  options.error_response = ProblemAnswer;
  auto server = StartServer(
      [&](const Request& req) {
        ++calls;
        return Response{200, "text/plain", std::to_string(req.body.size()), {}};
      },
      options);
  {
    Connection c(server->port());
    ASSERT_TRUE(c.Send(PostRequest("/api/clusters", std::string(1024, 'a'))));
    EXPECT_EQ(c.Read().body, "1024");  // exactly the limit is fine
  }
  {
    // The whole oversized body is sent before reading: the answer must still arrive (the
    // server drains what the client sends instead of resetting the connection).
    Connection c(server->port());
    ASSERT_TRUE(c.Send(PostRequest("/api/clusters?x=1", std::string(256 * 1024, 'a'))));
    auto reply = c.Read();
    EXPECT_EQ(reply.status, 413);
    EXPECT_EQ(reply.headers["content-type"], "application/problem+json");
    EXPECT_EQ(reply.headers["connection"], "close");
    EXPECT_EQ(reply.body,
              R"({"status":413,"detail":"request body too large","instance":"/api/clusters"})");
    EXPECT_TRUE(c.Closed());
  }
  {
    // A Content-Length over the limit is refused before the body is sent.
    Connection c(server->port());
    ASSERT_TRUE(c.Send("POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 5000000\r\n\r\n"));
    EXPECT_EQ(c.Read().status, 413);
    EXPECT_TRUE(c.Closed());
  }
  EXPECT_EQ(calls, 1);
  // The server keeps serving other connections.
  Connection next(server->port());
  ASSERT_TRUE(next.Send(PostRequest("/small", "hi")));
  EXPECT_EQ(next.Read().body, "2");
}

TEST(HttpServer, AChunkedBodyOverTheLimitIs413Too) {
  ServerOptions options;
  options.body_limit = 1024;
  auto server = StartServer(
      [](const Request& req) {
        return Response{200, "text/plain", std::to_string(req.body.size()), {}};
      },
      options);
  const std::string chunk = std::string("200\r\n") + std::string(0x200, 'a') + "\r\n";
  const std::string head = "POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  {
    Connection c(server->port());
    ASSERT_TRUE(c.Send(head + chunk + chunk + "0\r\n\r\n"));
    EXPECT_EQ(c.Read().body, "1024");
  }
  Connection c(server->port());
  ASSERT_TRUE(c.Send(head + chunk + chunk + chunk + "0\r\n\r\n"));
  EXPECT_EQ(c.Read().status, 413);
  EXPECT_TRUE(c.Closed());
}

// Input the server cannot take is answered (through error_response) and the connection closed,
// without calling the handler: headers over header_limit 431, a target over target_limit 414
// (also when it alone overflows the header limit), and what is not HTTP/1.1 400.
TEST(HttpServer, MalformedOrOversizedRequestsAreAnsweredThenTheConnectionCloses) {
  std::atomic<int> calls{0};
  ServerOptions options;
  options.error_response = ProblemAnswer;
  options.target_limit = 1024;
  auto server = StartServer(
      [&](const Request& req) {
        ++calls;
        return Echo(req);
      },
      options);
  struct Case {
    std::string request;
    int status;
    std::string detail;
  };
  const std::string chunked = "POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::vector<Case> cases = {
      {GetRequest("/x", "X-Big: " + std::string(70 * 1024, 'h') + "\r\n"), 431,
       "request header fields too large"},
      {GetRequest("/" + std::string(1025, 'p')), 414, "request target too long"},
      {GetRequest("/" + std::string(70 * 1024, 'p')), 414, "request target too long"},
      {"G(T / HTTP/1.1\r\nHost: t\r\n\r\n", 400, "malformed request"},
      {"GET / HTTP/9.x\r\nHost: t\r\n\r\n", 400, "malformed request"},
      {"GET / HTTP/1.1\r\nHost: t\r\nNo colon here\r\n\r\n", 400, "malformed request"},
      {chunked + "zz\r\nabc\r\n0\r\n\r\n", 400, "malformed request"},
  };
  for (const auto& [request, status, detail] : cases) {
    SCOPED_TRACE(request.substr(0, 60));
    Connection c(server->port());
    ASSERT_TRUE(c.Send(request));
    auto reply = c.Read();
    EXPECT_EQ(reply.status, status);
    EXPECT_EQ(reply.headers["content-type"], "application/problem+json");
    EXPECT_EQ(reply.headers["connection"], "close");
    EXPECT_NE(reply.body.find("\"detail\":\"" + detail + "\""), std::string::npos) << reply.body;
    EXPECT_TRUE(c.Closed());
  }
  EXPECT_EQ(calls, 0);
  Connection c(server->port());  // a target right at the limit is fine
  ASSERT_TRUE(c.Send(GetRequest("/" + std::string(1023, 'p'))));
  EXPECT_EQ(c.Read().status, 200);
}

TEST(HttpServer, AnIncompleteRequestIsDroppedAfterTheReadTimeout) {
  ServerOptions options;
  options.read_timeout = 200ms;
  auto server = StartServer(Echo, options);
  Connection c(server->port());
  ASSERT_TRUE(c.Send("GET /slow HTTP/1.1\r\nHost: t\r\n"));  // headers never finish
  EXPECT_TRUE(c.Closed());
  EXPECT_EQ(c.Read().status, 0);  // and no answer was written
}

TEST(HttpServer, AnIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  ServerOptions options;
  options.idle_timeout = 200ms;
  auto server = StartServer(Echo, options);
  Connection c(server->port());
  ASSERT_TRUE(c.Send(GetRequest("/once")));
  EXPECT_EQ(c.Read().status, 200);
  EXPECT_TRUE(c.Closed());
}

// A kept-alive connection may idle up to idle_timeout, but once its next request starts, that
// request has read_timeout, as the first one: a client trickling headers cannot hold the
// connection for idle_timeout per request.
TEST(HttpServer, EachRequestOnAKeptAliveConnectionHasTheReadTimeout) {
  ServerOptions options;
  options.read_timeout = 300ms;
  options.idle_timeout = 20s;
  auto server = StartServer(Echo, options);
  Connection c(server->port());
  ASSERT_TRUE(c.Send(GetRequest("/first")));
  ASSERT_EQ(c.Read().status, 200);
  std::this_thread::sleep_for(600ms);  // idle for longer than read_timeout: still open
  ASSERT_TRUE(c.Send(GetRequest("/second")));
  ASSERT_EQ(c.Read().body, "GET /second");

  const auto start = std::chrono::steady_clock::now();
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    const std::string head = "GET /slow HTTP/1.1\r\nHost: t\r\nX-Slow: ";
    for (size_t i = 0; !stop; ++i) {
      if (!c.Send(i < head.size() ? head.substr(i, 1) : "x")) break;
      std::this_thread::sleep_for(50ms);
    }
  });
  const bool closed = c.Closed();  // waits up to kPatience (5 s)
  stop = true;
  trickle.join();
  EXPECT_TRUE(closed);
  EXPECT_LT(std::chrono::steady_clock::now() - start, kPatience);
}

TEST(HttpServer, StartFailsWhenThePortIsTaken) {
  auto first = StartServer(Echo);
  ServerOptions options;
  options.host = "127.0.0.1";
  options.port = first->port();
  Server second(options, Echo);
  auto started = second.Start();
  ASSERT_FALSE(started);
  EXPECT_EQ(started.error().code, ErrorCode::kUnavailable);

  options.host = "not an address";
  options.port = 0;
  Server bad(options, Echo);
  auto invalid = bad.Start();
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalidArgument);
}

TEST(HttpServer, StopLetsAnInFlightRequestFinishThenRefusesConnections) {
  std::promise<void> entered;
  auto server = StartServer([&](const Request& req) {
    if (req.path == "/slow") {
      entered.set_value();
      std::this_thread::sleep_for(500ms);
      return Response{200, "text/plain", "finished", {}};
    }
    return Echo(req);
  });
  const int port = server->port();
  Connection idle(port);  // a keep-alive connection with no request in flight
  ASSERT_TRUE(idle.Send(GetRequest("/warm-up")));
  ASSERT_EQ(idle.Read().status, 200);

  Connection slow(port);
  ASSERT_TRUE(slow.Send(GetRequest("/slow")));
  ASSERT_EQ(entered.get_future().wait_for(kPatience), std::future_status::ready);
  server->Stop(kPatience);

  // Stop returned after the slow request was answered, and asked the client to go.
  auto reply = slow.Read();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "finished");
  EXPECT_EQ(reply.headers["connection"], "close");
  // No new connections, and the idle one is closed.
  Connection late(port);
  EXPECT_FALSE(late.connected());
  EXPECT_TRUE(idle.Closed());
  server->Stop();  // idempotent
}

TEST(HttpServer, StopWaitsUntilAnInFlightResponseIsWrittenOut) {
  // Far more than the socket buffers hold: the write is still going when the handler returns.
  const std::string large(32 << 20, 'x');
  std::promise<void> entered;
  auto server = StartServer([&](const Request&) {
    entered.set_value();
    std::this_thread::sleep_for(200ms);
    return Response{200, "text/plain", large, {}};
  });
  Connection c(server->port());
  ASSERT_TRUE(c.Send(GetRequest("/large")));
  ASSERT_EQ(entered.get_future().wait_for(kPatience), std::future_status::ready);
  auto stopped = std::async(std::launch::async, [&] { server->Stop(kPatience); });
  auto reply = c.Read();
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body.size(), large.size());
  stopped.get();
  EXPECT_TRUE(c.Closed());
}

// Finishes handed out by deferred answers, for a test to call when it likes.
class Finishes {
 public:
  void Add(Finish finish) {
    std::lock_guard lock(mu_);
    finishes_.push_back(std::move(finish));
    added_.notify_all();
  }
  // The n-th Finish handed out (0-based), once it is; fails the test after kPatience.
  Finish Take(size_t n) {
    std::unique_lock lock(mu_);
    EXPECT_TRUE(added_.wait_for(lock, kPatience, [&] { return finishes_.size() > n; }));
    return finishes_.size() > n ? finishes_[n] : Finish([](std::function<Response()>) {});
  }

 private:
  std::mutex mu_;
  std::condition_variable added_;
  std::vector<Finish> finishes_;
};

// Answers /deferred/* later, through `finishes`; anything else at once.
Handler DeferringHandler(Finishes& finishes) {
  return [&finishes](const Request& req) {
    if (!req.path.starts_with("/deferred")) return Echo(req);
    Response res;
    res.deferred = [&finishes](Finish finish) { finishes.Add(std::move(finish)); };
    return res;
  };
}

TEST(HttpServer, ADeferredAnswerIsWrittenWhenFinishedFromAnotherThreadAndHoldsNoHandlerSlot) {
  Finishes finishes;
  ServerOptions options;
  options.max_running_handlers = 1;
  auto server = StartServer(DeferringHandler(finishes), options);
  Connection waiting(server->port());
  // Pipelined: the second request is answered after the deferred first one, in order.
  ASSERT_TRUE(waiting.Send(GetRequest("/deferred/one") + GetRequest("/after")));
  Finish finish = finishes.Take(0);
  // The one handler slot is free again: another connection is served meanwhile.
  Connection other(server->port());
  ASSERT_TRUE(other.Send(GetRequest("/meanwhile")));
  EXPECT_EQ(other.Read().body, "GET /meanwhile");

  std::thread([&] {
    finish([] { return Response{202, "text/plain", "later", {{"X-Made", "late"}}}; });
  }).join();
  auto reply = waiting.Read();
  EXPECT_EQ(reply.status, 202);
  EXPECT_EQ(reply.body, "later");
  EXPECT_EQ(reply.headers["x-made"], "late");
  EXPECT_EQ(waiting.Read().body, "GET /after");
}

TEST(HttpServer, ADeferredAnswerWhoseMakerThrowsIsA500) {
  Finishes finishes;
  auto server = StartServer(DeferringHandler(finishes));
  Connection c(server->port());
  ASSERT_TRUE(c.Send(GetRequest("/deferred/throws")));
  finishes.Take(0)([]() -> Response { throw std::runtime_error("maker failed"); });
  EXPECT_EQ(c.Read().status, 500);
  ASSERT_TRUE(c.Send(GetRequest("/still-usable")));
  EXPECT_EQ(c.Read().body, "GET /still-usable");
}

TEST(HttpServer, AFinishCalledAfterStopIsDropped) {
  Finishes finishes;
  auto server = StartServer(DeferringHandler(finishes));
  Connection c(server->port());
  ASSERT_TRUE(c.Send(GetRequest("/deferred/never")));
  Finish finish = finishes.Take(0);
  server->Stop(100ms);  // gives up on the unanswered request
  bool made = false;
  finish([&] {
    made = true;
    return Response{200, "text/plain", "too late", {}};
  });
  server.reset();
  EXPECT_FALSE(made);
  EXPECT_TRUE(c.Closed());
}

TEST(HttpServer, BlockedHandlersLeaveTheServerThreadsFree) {
  std::promise<void> entered;
  std::promise<void> release;
  auto released = release.get_future().share();
  ServerOptions options;
  options.threads = 1;
  options.max_running_handlers = 2;
  options.unlimited = [](const Request& req) { return req.path == "/quick"; };
  auto server = StartServer(
      [&](const Request& req) {
        if (req.path == "/blocks") {
          entered.set_value();
          released.wait();
        }
        return Echo(req);
      },
      options);
  Connection blocked(server->port());
  ASSERT_TRUE(blocked.Send(GetRequest("/blocks")));
  ASSERT_EQ(entered.get_future().wait_for(kPatience), std::future_status::ready);
  // The handler blocks a worker thread; the one server thread still answers, limited or not.
  for (const char* path : {"/quick", "/limited"}) {
    Connection c(server->port());
    ASSERT_TRUE(c.Send(GetRequest(path)));
    EXPECT_EQ(c.Read().body, std::string("GET ") + path);
  }
  release.set_value();
  EXPECT_EQ(blocked.Read().body, "GET /blocks");
}

}  // namespace
}  // namespace hf::http
