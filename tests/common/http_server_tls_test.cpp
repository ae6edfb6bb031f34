// The HTTP server over TLS, with a CA and certificates made at test time: HTTPS through
// HttpClient (ca_file) and a raw TLS connection, refusals (wrong CA, wrong name, plain HTTP,
// silence), reloading the certificate when its files change, start errors, and Stop().
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "common/http_client.hpp"
#include "common/http_server.hpp"
#include "testing/env.hpp"
#include "testing/http_connection.hpp"
#include "testing/test_certs.hpp"

namespace hf::http {
namespace {

using namespace std::chrono_literals;
using hf::testing::CertUse;
using hf::testing::GetRequest;
using hf::testing::HttpConnection;
using hf::testing::Pem;
using hf::testing::PostRequest;

constexpr auto kPatience = HttpConnection::kPatience;

Response Echo(const Request& req) { return {200, "text/plain", req.method + " " + req.path, {}}; }

class HttpServerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.empty());
    Install(ca_, "api");
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Replaces `path` at once, as Kubernetes does when a Secret changes.
  void Write(const std::string& path, const std::string& content) const {
    const std::string temp = path + ".new";
    std::ofstream(temp) << content;
    std::filesystem::rename(temp, path);
  }
  // A CA's PEM in the test directory; returns its path.
  std::string WriteCa(const Pem& ca, const std::string& name) const {
    const std::string path = dir_ + "/" + name + ".pem";
    Write(path, ca.cert);
    return path;
  }
  // Installs a server certificate for 127.0.0.1 from `ca` with common name `cn`.
  void Install(const Pem& ca, const std::string& cn,
               const std::string& names = "IP:127.0.0.1,DNS:localhost") {
    const Pem cert = hf::testing::IssueCert(ca, cn, CertUse::kServer, names);
    Write(cert_file_, cert.cert);
    Write(key_file_, cert.key);
  }

  ServerOptions Options() const {
    ServerOptions options;
    options.host = "127.0.0.1";
    options.threads = 4;
    options.tls_cert_file = cert_file_;
    options.tls_key_file = key_file_;
    return options;
  }
  void Start(ServerOptions options) {
    server_ = std::make_unique<Server>(std::move(options), Echo);
    auto started = server_->Start();
    ASSERT_TRUE(started) << started.error().ToString();
  }
  void Start() { Start(Options()); }

  HttpRequest Get(const std::string& path, const std::string& ca_file) const {
    HttpRequest req;
    req.url = "https://127.0.0.1:" + std::to_string(server_->port()) + path;
    req.ca_file = ca_file;
    return req;
  }
  // Sends from a new thread, so on a new connection (HttpClient keeps one per thread).
  Result<HttpResponse> SendFresh(const HttpRequest& req) const {
    return std::async(std::launch::async, [&] { return HttpClient().Send(req); }).get();
  }
  // Waits (up to kPatience) until a new connection presents the certificate named `cn`.
  bool WaitForCertificate(const std::string& ca_file, const std::string& cn) const {
    const auto deadline = std::chrono::steady_clock::now() + kPatience;
    while (std::chrono::steady_clock::now() < deadline) {
      HttpConnection c(server_->port(), ca_file);
      if (c.connected() && c.PeerCommonName() == cn) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  const std::string dir_ = hf::testing::MakeTempDir("hf-http-tls");
  const std::string cert_file_ = dir_ + "/tls.crt";
  const std::string key_file_ = dir_ + "/tls.key";
  const Pem ca_ = hf::testing::MakeCa("hf-test-ca");
  const std::string ca_file_ = WriteCa(ca_, "ca");
  std::unique_ptr<Server> server_;
};

TEST_F(HttpServerTlsTest, ServesHttpsWithKeepAlive) {
  Start();
  auto res = HttpClient().Send(Get("/hello", ca_file_));
  ASSERT_TRUE(res) << res.error().ToString();
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "GET /hello");

  HttpConnection c(server_->port(), ca_file_);
  ASSERT_TRUE(c.connected());
  EXPECT_EQ(c.PeerCommonName(), "api");
  ASSERT_TRUE(c.Send(GetRequest("/first")));
  EXPECT_EQ(c.Read().body, "GET /first");
  ASSERT_TRUE(c.Send(PostRequest("/second", "x") + GetRequest("/third")));  // pipelined
  EXPECT_EQ(c.Read().body, "POST /second");
  EXPECT_EQ(c.Read().body, "GET /third");
  // Pipelined in two TLS records: the second may wait undecrypted inside OpenSSL, where the
  // socket no longer shows it.
  ASSERT_TRUE(c.Send(GetRequest("/fourth")) && c.Send(GetRequest("/fifth")));
  EXPECT_EQ(c.Read().body, "GET /fourth");
  EXPECT_EQ(c.Read().body, "GET /fifth");
  ASSERT_TRUE(c.Send(GetRequest("/bye", "Connection: close\r\n")));
  EXPECT_EQ(c.Read().headers["connection"], "close");
  EXPECT_TRUE(c.Closed());
}

TEST_F(HttpServerTlsTest, AClientTrustingAnotherCaRefusesTheServer) {
  Start();
  const std::string other = WriteCa(hf::testing::MakeCa("other-ca"), "other");
  const HttpRequest req = Get("/x", other);
  auto res = HttpClient().Send(req);
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(res.error().message.find("TLS certificate of " + req.url +
                                     " could not be verified against CA file " + other),
            std::string::npos)
      << res.error().message;
  EXPECT_TRUE(HttpClient().Send(Get("/x", ca_file_)));  // still serving
}

TEST_F(HttpServerTlsTest, ACertificateNotNamingTheHostIsRefused) {
  Install(ca_, "api", "DNS:api.example.com");
  Start();
  auto res = HttpClient().Send(Get("/x", ca_file_));
  ASSERT_FALSE(res);
  EXPECT_EQ(res.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(res.error().message.find("could not be verified"), std::string::npos)
      << res.error().message;
  EXPECT_FALSE(HttpConnection(server_->port(), ca_file_).connected());
}

TEST_F(HttpServerTlsTest, PlainHttpAndSilentClientsAreDroppedAndTheServerKeepsServing) {
  ServerOptions options = Options();
  options.read_timeout = 200ms;  // bounds the handshake too
  Start(options);
  {
    HttpConnection plain(server_->port());
    ASSERT_TRUE(plain.Send(GetRequest("/plain")));
    EXPECT_EQ(plain.Read().status, 0);
    EXPECT_TRUE(plain.Closed());
  }
  {
    HttpConnection silent(server_->port());  // connects, never starts a handshake
    ASSERT_TRUE(silent.connected());
    EXPECT_TRUE(silent.Closed());
  }
  auto res = HttpClient().Send(Get("/after", ca_file_));
  ASSERT_TRUE(res) << res.error().ToString();
  EXPECT_EQ(res->body, "GET /after");
}

// As over plain HTTP: a kept-alive connection idles up to idle_timeout, but a request it starts
// must arrive within read_timeout.
TEST_F(HttpServerTlsTest, EachRequestOnAKeptAliveConnectionHasTheReadTimeout) {
  ServerOptions options = Options();
  options.read_timeout = 300ms;
  options.idle_timeout = 20s;
  Start(options);
  HttpConnection c(server_->port(), ca_file_);
  ASSERT_TRUE(c.Send(GetRequest("/first")));
  ASSERT_EQ(c.Read().status, 200);
  std::this_thread::sleep_for(600ms);
  ASSERT_TRUE(c.Send(GetRequest("/second")));
  ASSERT_EQ(c.Read().body, "GET /second");
  ASSERT_TRUE(c.Send("GET /slow HTTP/1.1\r\nHost: t\r\n"));  // headers never finish
  EXPECT_TRUE(c.Closed());  // within kPatience, far below idle_timeout
}

TEST_F(HttpServerTlsTest, ABodyOverTheLimitIs413EvenWhenTheWholeBodyWasSent) {
  ServerOptions options = Options();
  options.body_limit = 1024;
  Start(options);
  HttpConnection c(server_->port(), ca_file_);
  ASSERT_TRUE(c.Send(PostRequest("/big", std::string(256 * 1024, 'a'))));
  auto reply = c.Read();
  EXPECT_EQ(reply.status, 413);
  EXPECT_EQ(reply.headers["connection"], "close");
  EXPECT_TRUE(c.Closed());
  EXPECT_TRUE(HttpClient().Send(Get("/small", ca_file_)));
}

TEST_F(HttpServerTlsTest, ARenewedCertificateIsServedToNewConnections) {
  Start();
  HttpConnection existing(server_->port(), ca_file_);
  ASSERT_TRUE(existing.Send(GetRequest("/before")));
  ASSERT_EQ(existing.Read().status, 200);

  const Pem new_ca = hf::testing::MakeCa("hf-test-ca-2");
  const std::string new_ca_file = WriteCa(new_ca, "new-ca");
  EXPECT_FALSE(SendFresh(Get("/x", new_ca_file)));
  Install(new_ca, "api-renewed");
  ASSERT_TRUE(WaitForCertificate(new_ca_file, "api-renewed"));

  auto renewed = SendFresh(Get("/x", new_ca_file));
  ASSERT_TRUE(renewed) << renewed.error().ToString();
  EXPECT_EQ(renewed->body, "GET /x");
  auto old = SendFresh(Get("/x", ca_file_));
  ASSERT_FALSE(old);
  EXPECT_NE(old.error().message.find("could not be verified"), std::string::npos);
  EXPECT_FALSE(HttpConnection(server_->port(), ca_file_).connected());
  // A connection made before the renewal carries on.
  ASSERT_TRUE(existing.Send(GetRequest("/after")));
  EXPECT_EQ(existing.Read().body, "GET /after");
}

TEST_F(HttpServerTlsTest, ABrokenReplacementKeepsThePreviousCertificate) {
  Start();
  const Pem new_ca = hf::testing::MakeCa("hf-test-ca-2");
  const Pem renewed = hf::testing::IssueCert(new_ca, "api-renewed", CertUse::kServer);
  // A garbage certificate, then a new certificate whose key has not arrived yet: each is seen
  // (the files are checked at most once a second) and refused, and the old one stays.
  for (const std::string& cert :
       {std::string("-----BEGIN CERTIFICATE-----\ngarbage\n"), renewed.cert}) {
    Write(cert_file_, cert);
    std::this_thread::sleep_for(1100ms);
    HttpConnection c(server_->port(), ca_file_);
    ASSERT_TRUE(c.connected());
    EXPECT_EQ(c.PeerCommonName(), "api");
    EXPECT_TRUE(HttpClient().Send(Get("/x", ca_file_)));
  }
  // The key arrives: the new certificate is served.
  Write(key_file_, renewed.key);
  EXPECT_TRUE(WaitForCertificate(WriteCa(new_ca, "new-ca"), "api-renewed"));
}

TEST_F(HttpServerTlsTest, StartFailsClearlyWithoutAUsableCertificateAndKey) {
  auto start = [](ServerOptions options) { return Server(std::move(options), Echo).Start(); };
  ServerOptions only_cert = Options();
  only_cert.tls_key_file.clear();
  auto r = start(only_cert);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("tls_key_file is not set"), std::string::npos);

  ServerOptions only_key = Options();
  only_key.tls_cert_file.clear();
  r = start(only_key);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("tls_cert_file is not set"), std::string::npos);

  ServerOptions missing = Options();
  missing.tls_cert_file = dir_ + "/missing.crt";
  r = start(missing);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_NE(r.error().message.find(missing.tls_cert_file), std::string::npos);

  Write(cert_file_, "not a certificate");
  r = start(Options());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("invalid TLS certificate " + cert_file_), std::string::npos)
      << r.error().message;

  const Pem other = hf::testing::IssueCert(ca_, "other", CertUse::kServer);
  Install(ca_, "api");
  Write(key_file_, other.key);
  r = start(Options());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("invalid TLS key " + key_file_ +
                                   ": does not match the certificate in " + cert_file_),
            std::string::npos)
      << r.error().message;
  EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
}

TEST_F(HttpServerTlsTest, StopClosesIdleAndHandshakingConnections) {
  Start();
  HttpConnection idle(server_->port(), ca_file_);
  ASSERT_TRUE(idle.Send(GetRequest("/warm-up")));
  ASSERT_EQ(idle.Read().status, 200);
  HttpConnection silent(server_->port());  // no handshake yet
  ASSERT_TRUE(silent.connected());

  auto stopped = std::async(std::launch::async, [&] { server_->Stop(kPatience); });
  ASSERT_EQ(stopped.wait_for(kPatience), std::future_status::ready);
  EXPECT_TRUE(idle.Closed());
  EXPECT_TRUE(silent.Closed());
}

TEST_F(HttpServerTlsTest, StreamsABodyOverTlsAndStopEndsIt) {
  std::shared_ptr<BodyStream> sink;
  std::mutex mu;
  server_ = std::make_unique<Server>(Options(), [&](const Request&) {
    Response res{200, "text/event-stream", "", {}};
    res.stream = [&](std::shared_ptr<BodyStream> out) {
      out->Send("first\n");
      std::lock_guard lock(mu);
      sink = std::move(out);
    };
    return res;
  });
  ASSERT_TRUE(server_->Start());
  HttpConnection c(server_->port(), ca_file_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send(GetRequest("/stream")));
  const std::string head = c.ReadThrough("\r\n\r\n");
  EXPECT_NE(head.find("Transfer-Encoding: chunked"), std::string::npos) << head;
  EXPECT_NE(c.ReadThrough("first\n"), "");
  {
    std::lock_guard lock(mu);
    ASSERT_TRUE(sink);
    EXPECT_TRUE(sink->Send("second\n"));  // from another thread, while the client reads
  }
  EXPECT_NE(c.ReadThrough("second\n"), "");
  const auto start = std::chrono::steady_clock::now();
  server_->Stop(std::chrono::milliseconds(5000));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s) << "the stream held the drain";
  EXPECT_TRUE(sink->closed());
  EXPECT_FALSE(sink->Send("late"));
}

}  // namespace
}  // namespace hf::http
