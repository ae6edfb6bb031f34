#include "testing/test_certs.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <functional>
#include <memory>
#include <stdexcept>
#include <vector>

namespace hf::testing {
namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("test_certs: ") + what + " failed");
}

std::string ToPem(const std::function<int(BIO*)>& write) {
  Bio bio(BIO_new(BIO_s_mem()), BIO_free);
  Check(bio && write(bio.get()) == 1, "PEM write");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Key ReadKey(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  Key key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  Check(key != nullptr, "reading a key");
  return key;
}

Cert ReadCert(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  Cert cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  Check(cert != nullptr, "reading a certificate");
  return cert;
}

// Builds and signs one certificate; `issuer` null means self-signed.
Pem Make(const std::string& cn, X509* issuer, EVP_PKEY* issuer_key,
         const std::vector<std::pair<int, const char*>>& extensions) {
  static std::atomic<long> serial{1};
  Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"), EVP_PKEY_free);
  Check(key != nullptr, "key generation");
  Cert cert(X509_new(), X509_free);
  X509* x = cert.get();
  Check(X509_set_version(x, 2) == 1, "X509_set_version");
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
  Check(X509_set_pubkey(x, key.get()) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  Check(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) == 1,
        "X509_set_issuer_name");
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : x, x, nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    Check(ext != nullptr, "building an extension");
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
  }
  Check(X509_sign(x, issuer_key ? issuer_key : key.get(), EVP_sha256()) > 0, "X509_sign");
  return {ToPem([&](BIO* b) { return PEM_write_bio_X509(b, x); }), ToPem([&](BIO* b) {
            return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
          })};
}

}  // namespace

Pem MakeCa(const std::string& common_name) {
  return Make(common_name, nullptr, nullptr,
              {{NID_basic_constraints, "critical,CA:TRUE"},
               {NID_key_usage, "critical,keyCertSign,cRLSign"},
               {NID_subject_key_identifier, "hash"}});
}

Pem IssueCert(const Pem& ca, const std::string& common_name, CertUse use,
              const std::string& server_names) {
  Cert ca_cert = ReadCert(ca.cert);
  Key ca_key = ReadKey(ca.key);
  std::vector<std::pair<int, const char*>> extensions = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature"},
      {NID_authority_key_identifier, "keyid"},
  };
  if (use == CertUse::kServer) {
    extensions.push_back({NID_ext_key_usage, "serverAuth"});
    extensions.push_back({NID_subject_alt_name, server_names.c_str()});
  } else {
    extensions.push_back({NID_ext_key_usage, "clientAuth"});
  }
  return Make(common_name, ca_cert.get(), ca_key.get(), extensions);
}

}  // namespace hf::testing
