#include "testing/http_connection.hpp"

#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>

#include "testing/loopback.hpp"

namespace hf::testing {

HttpConnection::HttpConnection(int port) : fd_(ConnectToLoopback(port)) {
  if (fd_ < 0) return;
  timeval tv{kPatience.count(), 0};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

HttpConnection::HttpConnection(int port, const std::string& ca_file) : HttpConnection(port) {
  if (fd_ < 0) return;
  ctx_ = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_options(ctx_, SSL_OP_IGNORE_UNEXPECTED_EOF);  // an unannounced close is an end
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(ctx_, ca_file.c_str(), nullptr) != 1) return;
  ssl_ = SSL_new(ctx_);
  X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), "127.0.0.1");
  SSL_set_fd(ssl_, fd_);
  handshaken_ = SSL_connect(ssl_) == 1;
}

HttpConnection::~HttpConnection() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (ctx_ != nullptr) SSL_CTX_free(ctx_);
  if (fd_ >= 0) close(fd_);
}

std::string HttpConnection::PeerCommonName() const {
  if (ssl_ == nullptr) return {};
  X509* cert = SSL_get0_peer_certificate(ssl_);
  if (cert == nullptr) return {};
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  return cn;
}

bool HttpConnection::Send(const std::string& data) {
  if (!connected()) return false;
  size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n =
        ssl_ != nullptr ? SSL_write(ssl_, data.data() + sent, static_cast<int>(data.size() - sent))
                        : send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

long HttpConnection::Receive() {
  char chunk[4096];
  if (ssl_ == nullptr) {
    const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) buffer_.append(chunk, static_cast<size_t>(n));
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return -2;
    return n;
  }
  if (!handshaken_) return -1;
  const int n = SSL_read(ssl_, chunk, sizeof chunk);
  if (n > 0) {
    buffer_.append(chunk, static_cast<size_t>(n));
    return n;
  }
  switch (SSL_get_error(ssl_, n)) {
    case SSL_ERROR_ZERO_RETURN:
      return 0;
    case SSL_ERROR_WANT_READ:
      return -2;
    case SSL_ERROR_SYSCALL:
      return errno == EAGAIN || errno == EWOULDBLOCK ? -2 : -1;
    default:
      return -1;
  }
}

HttpConnection::Reply HttpConnection::Read() {
  Reply reply;
  size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (Receive() <= 0) return reply;
  }
  const std::string head = buffer_.substr(0, end);
  buffer_.erase(0, end + 4);
  reply.status = std::stoi(head.substr(head.find(' ') + 1, 3));
  size_t line = head.find("\r\n");
  while (line != std::string::npos) {
    const size_t next = head.find("\r\n", line + 2);
    const std::string field = head.substr(line + 2, next - line - 2);
    const size_t colon = field.find(':');
    std::string name = field.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    reply.headers[name] = field.substr(field.find_first_not_of(' ', colon + 1));
    line = next;
  }
  const size_t length = std::stoul(reply.headers["content-length"]);
  while (buffer_.size() < length) {
    if (Receive() <= 0) return Reply{};
  }
  reply.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return reply;
}

bool HttpConnection::Closed() {
  while (true) {
    const long n = Receive();
    if (n == 0) return true;
    if (n == -2) return false;
    if (n < 0) return ssl_ != nullptr || errno == ECONNRESET;
  }
}

std::string HttpConnection::ReadThrough(const std::string& text) {
  size_t at;
  while ((at = buffer_.find(text)) == std::string::npos) {
    if (Receive() <= 0) return "";
  }
  std::string out = buffer_.substr(0, at + text.size());
  buffer_.erase(0, at + text.size());
  return out;
}

std::string GetRequest(const std::string& path, const std::string& extra_headers) {
  return "GET " + path + " HTTP/1.1\r\nHost: test\r\n" + extra_headers + "\r\n";
}

std::string PostRequest(const std::string& path, const std::string& body) {
  return "POST " + path +
         " HTTP/1.1\r\nHost: test\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         body;
}

}  // namespace hf::testing
