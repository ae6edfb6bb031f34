#pragma once

// A raw HTTP/1.1 client connection to 127.0.0.1, over TCP or TLS (OpenSSL), for tests that need
// to see the connection itself: several requests on one connection, pipelining, exactly what the
// server answers, and when it closes. Every read waits at most kPatience.

#include <openssl/ssl.h>

#include <chrono>
#include <map>
#include <string>

namespace hf::testing {

class HttpConnection {
 public:
  static constexpr std::chrono::seconds kPatience{5};

  // Plain TCP.
  explicit HttpConnection(int port);
  // TLS, verifying the server's certificate for 127.0.0.1 against the PEM bundle `ca_file`.
  HttpConnection(int port, const std::string& ca_file);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Connected (and for TLS, the handshake completed and the server was verified).
  bool connected() const { return fd_ >= 0 && (ssl_ == nullptr || handshaken_); }
  // TLS: the subject common name of the server's certificate ("" before a handshake).
  std::string PeerCommonName() const;

  bool Send(const std::string& data);

  struct Reply {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-case names
    std::string body;
  };
  // Reads one response (Content-Length framed); status 0 if the connection ended first.
  Reply Read();
  // Whether the server closed the connection (end of stream or reset) within kPatience.
  bool Closed();
  // For a streamed answer: reads until `text` has arrived and returns what was read through it
  // (the rest stays buffered); "" if the connection ended or kPatience passed without data first.
  std::string ReadThrough(const std::string& text);

 private:
  // Reads more into buffer_: > 0 bytes read, 0 end of stream, < 0 error (-2: timed out).
  long Receive();

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  bool handshaken_ = false;
  std::string buffer_;
};

// "GET <path> HTTP/1.1" with a Host header and `extra_headers` ("Name: value\r\n" each).
std::string GetRequest(const std::string& path, const std::string& extra_headers = "");
// "POST <path> HTTP/1.1" with `body`.
std::string PostRequest(const std::string& path, const std::string& body);

}  // namespace hf::testing
