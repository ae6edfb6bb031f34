#pragma once

// Certificates made at test time with OpenSSL (EC P-256, SHA-256, valid for a day), so TLS can be
// tested without files in the repository or an `openssl` binary.

#include <string>

namespace hf::testing {

struct Pem {
  std::string cert;  // PEM certificate
  std::string key;   // PEM private key (PKCS#8)
};

// A self-signed certificate authority.
Pem MakeCa(const std::string& common_name);

// A certificate signed by `ca`: for a server (serverAuth, subjectAltName `server_names`) or for
// a client (clientAuth). Throws std::runtime_error if OpenSSL fails.
enum class CertUse { kServer, kClient };
Pem IssueCert(const Pem& ca, const std::string& common_name, CertUse use,
              const std::string& server_names = "IP:127.0.0.1,DNS:localhost");

}  // namespace hf::testing
