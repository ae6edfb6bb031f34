#pragma once

// A TLS front for a plain-HTTP test server (OpenSSL): accepts TLS on 127.0.0.1, optionally
// requires a client certificate signed by a given CA, and relays the bytes to the backend port
// both ways (streams too). Lets the HTTPS paths of a client be tested against the same fake.

#include <openssl/ssl.h>

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "testing/test_certs.hpp"

namespace hf::testing {

class TlsProxy {
 public:
  // `client_ca`: PEM of the CA client certificates must chain to; empty = no client certificate.
  TlsProxy(int backend_port, const Pem& server, const std::string& client_ca = "");
  ~TlsProxy();
  TlsProxy(const TlsProxy&) = delete;
  TlsProxy& operator=(const TlsProxy&) = delete;

  std::string url() const;  // "https://127.0.0.1:<port>"
  int handshakes_failed() const { return failed_.load(); }
  // The subject CN of the client certificate of the last completed handshake ("" for none).
  std::string last_client_cn() const;

 private:
  void AcceptLoop();
  void Relay(int client_fd);

  int backend_port_;
  SSL_CTX* ctx_ = nullptr;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> failed_{0};
  mutable std::mutex mu_;  // guards the members below
  std::string last_client_cn_;
  std::set<int> fds_;  // open sockets, shut down on destruction
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace hf::testing
