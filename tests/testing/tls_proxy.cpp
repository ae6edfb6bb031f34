#include "testing/tls_proxy.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <stdexcept>

#include "testing/loopback.hpp"

namespace hf::testing {
namespace {

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("TlsProxy: ") + what + " failed");
}

X509* ReadCert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  Check(cert != nullptr, "reading a certificate");
  return cert;
}

bool SendAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    const ssize_t sent = ::send(fd, data, n, MSG_NOSIGNAL);
    if (sent <= 0) return false;
    data += sent;
    n -= static_cast<size_t>(sent);
  }
  return true;
}

}  // namespace

TlsProxy::TlsProxy(int backend_port, const Pem& server, const std::string& client_ca)
    : backend_port_(backend_port) {
  // SSL_write to a client that already hung up raises SIGPIPE through OpenSSL's socket BIO
  // (which cannot pass MSG_NOSIGNAL); the proxy treats it as a closed connection instead.
  std::signal(SIGPIPE, SIG_IGN);
  ctx_ = SSL_CTX_new(TLS_server_method());
  Check(ctx_ != nullptr, "SSL_CTX_new");
  X509* cert = ReadCert(server.cert);
  Check(SSL_CTX_use_certificate(ctx_, cert) == 1, "using the server certificate");
  X509_free(cert);
  BIO* bio = BIO_new_mem_buf(server.key.data(), static_cast<int>(server.key.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  Check(key != nullptr && SSL_CTX_use_PrivateKey(ctx_, key) == 1, "using the server key");
  EVP_PKEY_free(key);
  if (!client_ca.empty()) {
    X509* ca = ReadCert(client_ca);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_), ca);
    X509_free(ca);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  listen_fd_ = ListenOnLoopback(&port_);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

TlsProxy::~TlsProxy() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  ::close(listen_fd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    for (int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
  SSL_CTX_free(ctx_);
}

std::string TlsProxy::url() const { return "https://127.0.0.1:" + std::to_string(port_); }

std::string TlsProxy::last_client_cn() const {
  std::lock_guard lock(mu_);
  return last_client_cn_;
}

void TlsProxy::AcceptLoop() {
  while (!stopping_) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_) return;
      continue;
    }
    std::lock_guard lock(mu_);
    fds_.insert(fd);
    threads_.emplace_back([this, fd] { Relay(fd); });
  }
}

void TlsProxy::Relay(int client_fd) {
  SSL* ssl = SSL_new(ctx_);
  SSL_set_fd(ssl, client_fd);
  int backend = -1;
  if (SSL_accept(ssl) != 1) {
    failed_++;
  } else {
    std::string cn;
    if (X509* peer = SSL_get1_peer_certificate(ssl)) {
      char buf[256] = {};
      X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, buf, sizeof buf);
      cn = buf;
      X509_free(peer);
    }
    {
      std::lock_guard lock(mu_);
      last_client_cn_ = cn;
    }
    backend = ConnectToLoopback(backend_port_);
    if (backend >= 0) {
      {
        std::lock_guard lock(mu_);
        fds_.insert(backend);
      }
      char buf[16 * 1024];
      bool open = true;
      while (open && !stopping_) {
        pollfd fds[2] = {{client_fd, POLLIN, 0}, {backend, POLLIN, 0}};
        // Decrypted bytes may wait inside OpenSSL without the socket being readable.
        if (SSL_pending(ssl) == 0 && ::poll(fds, 2, 1000) <= 0) continue;
        if (SSL_pending(ssl) > 0 || fds[0].revents != 0) {
          const int n = SSL_read(ssl, buf, sizeof buf);
          open = n > 0 && SendAll(backend, buf, static_cast<size_t>(n));
        }
        if (open && fds[1].revents != 0) {
          const ssize_t n = ::recv(backend, buf, sizeof buf, 0);
          open = n > 0 && SSL_write(ssl, buf, static_cast<int>(n)) == n;
        }
      }
    }
  }
  SSL_shutdown(ssl);
  SSL_free(ssl);
  std::lock_guard lock(mu_);
  for (int fd : {client_fd, backend}) {
    if (fd < 0) continue;
    fds_.erase(fd);
    ::close(fd);
  }
}

}  // namespace hf::testing
