#include "auth/detail/jws.hpp"

#include <openssl/err.h>
#include <openssl/rsa.h>

#include <array>

#include "auth/detail/openssl.hpp"

namespace hf::auth::detail {
namespace {

constexpr std::array<JwsAlgorithm, 6> kAlgorithms{{
    {"RS256", "RSA", "", EVP_sha256, false, 0},
    {"RS384", "RSA", "", EVP_sha384, false, 0},
    {"RS512", "RSA", "", EVP_sha512, false, 0},
    {"PS256", "RSA", "", EVP_sha256, true, 0},
    {"ES256", "EC", "P-256", EVP_sha256, false, 32},
    {"ES384", "EC", "P-384", EVP_sha384, false, 48},
}};

// A digest context initialised for `alg` (PSS padding set when needed), or nullptr.
MdCtxPtr Begin(const JwsAlgorithm& alg, EVP_PKEY* key, bool sign) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return nullptr;
  EVP_PKEY_CTX* pctx = nullptr;
  const int ok = sign ? EVP_DigestSignInit(ctx.get(), &pctx, alg.digest(), nullptr, key)
                      : EVP_DigestVerifyInit(ctx.get(), &pctx, alg.digest(), nullptr, key);
  if (ok != 1) return nullptr;
  if (alg.pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
    return nullptr;
  }
  return ctx;
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// r||s (each `size` bytes) → DER ECDSA-Sig-Value; nullopt if the length is wrong.
std::optional<std::string> JoseToDer(std::string_view jose, size_t size) {
  if (jose.size() != 2 * size) return std::nullopt;
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(Bytes(jose), static_cast<int>(size), nullptr);
  BIGNUM* s = BN_bin2bn(Bytes(jose) + size, static_cast<int>(size), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<const char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

// DER ECDSA-Sig-Value → r||s, each left-padded to `size` bytes.
std::optional<std::string> DerToJose(std::string_view der, size_t size) {
  const unsigned char* p = Bytes(der);
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return std::nullopt;
  std::string out(2 * size, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), dst, static_cast<int>(size)) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), dst + size, static_cast<int>(size)) < 0) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::string OpenSslError() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  std::array<char, 256> text{};
  ERR_error_string_n(code, text.data(), text.size());
  return text.data();
}

const JwsAlgorithm* FindJwsAlgorithm(std::string_view name) {
  for (const JwsAlgorithm& alg : kAlgorithms) {
    if (alg.name == name) return &alg;
  }
  return nullptr;
}

std::string AcceptedJwsAlgorithms() {
  std::string out;
  for (const JwsAlgorithm& alg : kAlgorithms) {
    if (!out.empty()) out += ", ";
    out += alg.name;
  }
  return out;
}

bool VerifyJws(const JwsAlgorithm& alg, EVP_PKEY* key, std::string_view signing_input,
               std::string_view signature) {
  std::string der;
  if (alg.kty == "EC") {
    auto converted = JoseToDer(signature, alg.ec_coordinate_size);
    if (!converted) return false;
    der = std::move(*converted);
    signature = der;
  } else if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(key))) {
    return false;  // RFC 7518 §3.3: an RSA signature is exactly as long as the modulus
  }
  MdCtxPtr ctx = Begin(alg, key, /*sign=*/false);
  const bool ok = ctx && EVP_DigestVerify(ctx.get(), Bytes(signature), signature.size(),
                                          Bytes(signing_input), signing_input.size()) == 1;
  ERR_clear_error();
  return ok;
}

std::optional<std::string> SignJws(const JwsAlgorithm& alg, EVP_PKEY* key,
                                   std::string_view signing_input) {
  MdCtxPtr ctx = Begin(alg, key, /*sign=*/true);
  size_t len = 0;
  if (!ctx ||
      EVP_DigestSign(ctx.get(), nullptr, &len, Bytes(signing_input), signing_input.size()) != 1) {
    return std::nullopt;
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     Bytes(signing_input), signing_input.size()) != 1) {
    return std::nullopt;
  }
  sig.resize(len);
  if (alg.kty == "EC") return DerToJose(sig, alg.ec_coordinate_size);
  return sig;
}

}  // namespace hf::auth::detail
