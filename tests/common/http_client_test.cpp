#include "common/http_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>
#include <thread>

#include "testing/test_certs.hpp"
#include "testing/tls_proxy.hpp"

namespace hf {
namespace {

using namespace std::chrono_literals;

// A one-thread HTTP server on a loopback port: answers each request with `reply(request)`
// after `delay`. Keeps connections open (so keep-alive can be observed).
class TinyServer {
 public:
  explicit TinyServer(std::function<std::string(const std::string&)> reply,
                      std::chrono::milliseconds delay = 0ms)
      : reply_(std::move(reply)), delay_(delay) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listen(fd_, 8);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TinyServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    if (const int c = client_fd_.load(); c >= 0) shutdown(c, SHUT_RDWR);  // unblocks recv
    close(fd_);
    thread_.join();
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int connections() const { return connections_; }
  int port() const { return port_; }

 private:
  void Serve() {
    while (!stop_) {
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      connections_++;
      client_fd_ = c;
      std::string buffer;
      char chunk[4096];
      while (!stop_) {
        const auto end = buffer.find("\r\n\r\n");
        if (end != std::string::npos) {
          size_t body_len = 0;
          if (auto p = buffer.find("Content-Length: "); p != std::string::npos && p < end) {
            body_len = std::stoul(buffer.substr(p + 16));
          }
          if (buffer.size() >= end + 4 + body_len) {
            const std::string request = buffer.substr(0, end + 4 + body_len);
            buffer.erase(0, end + 4 + body_len);
            std::this_thread::sleep_for(delay_);
            const std::string body = reply_(request);
            const std::string resp = "HTTP/1.1 201 Created\r\nX-Test: yes\r\nContent-Length: " +
                                     std::to_string(body.size()) + "\r\n\r\n" + body;
            if (send(c, resp.data(), resp.size(), MSG_NOSIGNAL) < 0) break;
            continue;
          }
        }
        const ssize_t n = recv(c, chunk, sizeof chunk, 0);
        if (n <= 0) break;
        buffer.append(chunk, static_cast<size_t>(n));
      }
      client_fd_ = -1;
      close(c);
    }
  }

  std::function<std::string(const std::string&)> reply_;
  std::chrono::milliseconds delay_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> client_fd_{-1};  // the connection being served, if any
  std::thread thread_;
};

TEST(HttpClient, SendsMethodHeadersAndBodyAndReadsResponse) {
  std::string seen;
  TinyServer server([&](const std::string& req) {
    seen = req;
    return std::string("pong");
  });
  HttpClient client;
  HttpRequest req;
  req.method = "PUT";
  req.url = server.Url("/v1/thing");
  req.headers = {{"Content-Type", "application/json"}, {"X-Custom", "42"}};
  req.body = R"({"a":1})";
  auto resp = client.Send(req);
  ASSERT_TRUE(resp.has_value()) << resp.error().ToString();
  EXPECT_EQ(resp->status, 201);
  EXPECT_TRUE(resp->Ok());
  EXPECT_EQ(resp->body, "pong");
  EXPECT_EQ(resp->Header("x-test"), "yes");
  EXPECT_EQ(resp->Header("X-TEST"), "yes");
  EXPECT_TRUE(seen.starts_with("PUT /v1/thing HTTP/1.1\r\n")) << seen;
  EXPECT_NE(seen.find("X-Custom: 42\r\n"), std::string::npos);
  EXPECT_TRUE(seen.ends_with(R"({"a":1})"));
}

TEST(HttpClient, ReusesTheConnectionOnOneThread) {
  TinyServer server([](const std::string&) { return std::string("ok"); });
  HttpClient client;
  for (int i = 0; i < 3; ++i) {
    HttpRequest req;
    req.url = server.Url("/");
    ASSERT_TRUE(client.Send(req).has_value());
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST(HttpClient, ConnectionRefusedIsUnavailableAndNamesTheUrl) {
  HttpClient client;
  HttpRequest req;
  req.url = "http://127.0.0.1:1/x";
  auto resp = client.Send(req);
  ASSERT_FALSE(resp.has_value());
  EXPECT_EQ(resp.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(resp.error().message.find("http://127.0.0.1:1/x"), std::string::npos);
}

TEST(HttpClient, SlowServerIsDeadlineExceeded) {
  TinyServer server([](const std::string&) { return std::string("late"); }, 1500ms);
  HttpClient client;
  HttpRequest req;
  req.url = server.Url("/slow");
  req.timeout = 200ms;
  auto resp = client.Send(req);
  ASSERT_FALSE(resp.has_value());
  EXPECT_EQ(resp.error().code, ErrorCode::kDeadlineExceeded);
  EXPECT_NE(resp.error().message.find("/slow"), std::string::npos);
}

TEST(HttpClient, CancelFlagAbortsTheRequest) {
  TinyServer server([](const std::string&) { return std::string("late"); }, 1500ms);
  HttpClient client;
  std::atomic<bool> cancel{false};
  HttpRequest req;
  req.url = server.Url("/poll");
  req.timeout = 10s;
  req.cancel = &cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(100ms);
    cancel = true;
  });
  auto resp = client.Send(req);
  canceller.join();
  ASSERT_FALSE(resp.has_value());
  EXPECT_EQ(resp.error().code, ErrorCode::kUnavailable);
}

TEST(HttpClient, MalformedUrlIsInvalidArgument) {
  HttpClient client;
  HttpRequest req;
  req.url = "nope://";
  auto resp = client.Send(req);
  ASSERT_FALSE(resp.has_value());
  EXPECT_EQ(resp.error().code, ErrorCode::kInvalidArgument);
}

TEST(HttpClient, IsUsableFromManyThreads) {
  TinyServer server([](const std::string&) { return std::string("ok"); });
  HttpClient client;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        HttpRequest req;
        req.url = server.Url("/");
        if (auto r = client.Send(req); r && r->body == "ok") ok++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 20);
}

// HTTPS: TinyServer behind a TLS front whose certificate (for 127.0.0.1) is issued by a CA made
// at test time; `ca_file` holds that CA, `other_ca_file` an unrelated one.
class HttpClientTlsTest : public ::testing::Test {
 protected:
  static std::string WriteFile(const std::string& name, const std::string& content) {
    const std::string path = ::testing::TempDir() + "/http-client-tls-" + name;
    std::ofstream(path) << content;
    return path;
  }

  HttpRequest Get(const std::string& ca) const {
    HttpRequest req;
    req.url = proxy_.url() + "/tls";
    req.ca_file = ca;
    return req;
  }

  const hf::testing::Pem ca_ = hf::testing::MakeCa("hf-client-test-ca");
  const std::string ca_file = WriteFile("ca.pem", ca_.cert);
  const std::string other_ca_file = WriteFile("other-ca.pem", hf::testing::MakeCa("other").cert);
  TinyServer server_{[](const std::string&) { return std::string("secure"); }};
  hf::testing::TlsProxy proxy_{
      server_.port(), hf::testing::IssueCert(ca_, "server", hf::testing::CertUse::kServer)};
  HttpClient client_;
};

TEST_F(HttpClientTlsTest, VerifiesTheServerAgainstTheCaFileAndKeepsTheConnection) {
  for (int i = 0; i < 3; ++i) {
    auto resp = client_.Send(Get(ca_file));
    ASSERT_TRUE(resp) << resp.error().ToString();
    EXPECT_EQ(resp->body, "secure");
  }
  EXPECT_EQ(server_.connections(), 1);
}

TEST_F(HttpClientTlsTest, AServerTheCaFileDoesNotVouchForIsRefusedClearly) {
  const HttpRequest req = Get(other_ca_file);
  auto resp = client_.Send(req);
  ASSERT_FALSE(resp);
  EXPECT_EQ(resp.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(resp.error().message.find("TLS certificate of " + req.url +
                                      " could not be verified against CA file " + other_ca_file),
            std::string::npos)
      << resp.error().message;
  // Without ca_file the system store is used, which does not know the test CA either.
  auto system = client_.Send(Get(""));
  ASSERT_FALSE(system);
  EXPECT_NE(system.error().message.find("against the system CA store"), std::string::npos)
      << system.error().message;
}

// The thread's handle keeps connections alive: one verified against one CA file must not be
// reused for a request that trusts another.
TEST_F(HttpClientTlsTest, AConnectionVerifiedWithOneCaFileIsNotReusedForAnother) {
  ASSERT_TRUE(client_.Send(Get(ca_file)));
  EXPECT_FALSE(client_.Send(Get(other_ca_file)));
  EXPECT_FALSE(client_.Send(Get("")));
  EXPECT_TRUE(client_.Send(Get(ca_file)));
}

TEST_F(HttpClientTlsTest, AMissingCaFileIsInvalidArgumentNamingIt) {
  const std::string missing = ::testing::TempDir() + "/http-client-tls-missing.pem";
  auto resp = client_.Send(Get(missing));
  ASSERT_FALSE(resp);
  EXPECT_EQ(resp.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(resp.error().message.find(missing), std::string::npos) << resp.error().message;
}

}  // namespace
}  // namespace hf
