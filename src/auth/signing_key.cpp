#include "auth/signing_key.hpp"

#include <openssl/pem.h>

#include <cerrno>
#include <cstring>

#include "auth/detail/jwk.hpp"
#include "auth/detail/jws.hpp"
#include "auth/detail/openssl.hpp"
#include "common/base64.hpp"
#include "common/file.hpp"

namespace hf::auth {

using detail::JwsAlgorithm;
using nlohmann::json;

struct SigningKey::Impl {
  const JwsAlgorithm* alg = nullptr;
  std::string alg_name;
  std::string kid;
  json public_jwk;
  detail::SharedPkey key;

  // Wraps a private key that fits `alg`, deriving its public JWK and kid.
  static Result<std::shared_ptr<const Impl>> Make(const JwsAlgorithm& alg, detail::PkeyPtr key);
};

namespace {

using BioPtr = std::unique_ptr<BIO, detail::OpenSslFree<BIO_free>>;

constexpr size_t kRsaBits = 2048;

Result<const JwsAlgorithm*> Algorithm(const std::string& alg) {
  const JwsAlgorithm* found = detail::FindJwsAlgorithm(alg);
  if (!found) {
    return Fail(ErrorCode::kInvalidArgument,
                "signing algorithm '" + alg + "' is not one of " + detail::AcceptedJwsAlgorithms());
  }
  return found;
}

Result<detail::PkeyPtr> NewKey(const JwsAlgorithm& alg) {
  EVP_PKEY* raw = alg.kty == "RSA" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", kRsaBits)
                                   : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC",
                                                       alg.crv == "P-256" ? "P-256" : "P-384");
  if (!raw) {
    return Fail(ErrorCode::kInternal, "cannot generate a signing key", detail::OpenSslError());
  }
  return detail::PkeyPtr(raw);
}

}  // namespace

Result<std::shared_ptr<const SigningKey::Impl>> SigningKey::Impl::Make(const JwsAlgorithm& alg,
                                                                       detail::PkeyPtr key) {
  json members = HF_TRY(detail::PublicJwkMembers(key.get()));
  if (members["kty"] != alg.kty || (alg.kty == "EC" && members["crv"] != alg.crv)) {
    const std::string type =
        members["kty"].get<std::string>() +
        (members.contains("crv") ? " " + members["crv"].get<std::string>() : "");
    return Fail(ErrorCode::kInvalidArgument,
                "the key is " + type + ", not usable with " + std::string(alg.name));
  }
  if (alg.kty == "RSA" && EVP_PKEY_get_bits(key.get()) < detail::kMinRsaBits) {
    return Fail(ErrorCode::kInvalidArgument, "the RSA key is shorter than 2048 bits");
  }
  auto impl = std::make_shared<Impl>();
  impl->alg = &alg;
  impl->alg_name = std::string(alg.name);
  impl->kid = detail::JwkThumbprint(members);
  members["kid"] = impl->kid;
  members["alg"] = impl->alg_name;
  members["use"] = "sig";
  impl->public_jwk = std::move(members);
  impl->key = detail::Share(std::move(key));
  return impl;
}

Result<SigningKey> SigningKey::Generate(std::string alg) {
  const JwsAlgorithm* algorithm = HF_TRY(Algorithm(alg));
  SigningKey out;
  out.impl_ = HF_TRY(Impl::Make(*algorithm, HF_TRY(NewKey(*algorithm))));
  return out;
}

Result<SigningKey> SigningKey::LoadOrCreate(const std::string& path, std::string alg) {
  const JwsAlgorithm* algorithm = HF_TRY(Algorithm(alg));
  SigningKey out;
  if (::access(path.c_str(), F_OK) == 0) {
    const auto pem = ReadFile(path);
    if (!pem) {
      return Fail(ErrorCode::kUnavailable,
                  "cannot read the signing key " + path + ": " + std::strerror(errno));
    }
    BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
    EVP_PKEY* raw = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    if (!raw) {
      return Fail(ErrorCode::kInvalidArgument,
                  path + " is not a PEM private key (" + detail::OpenSslError() + ")");
    }
    auto impl = Impl::Make(*algorithm, detail::PkeyPtr(raw));
    if (!impl) return Fail(ErrorCode::kInvalidArgument, path + ": " + impl.error().message);
    out.impl_ = std::move(*impl);
    return out;
  }
  detail::PkeyPtr key = HF_TRY(NewKey(*algorithm));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Fail(ErrorCode::kInternal, "cannot encode the signing key", detail::OpenSslError());
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  HF_CHECK(WriteFileAtomically(path, std::string(data, static_cast<size_t>(len)), 0600,
                               /*sync=*/true));
  out.impl_ = HF_TRY(Impl::Make(*algorithm, std::move(key)));
  return out;
}

const std::string& SigningKey::alg() const { return impl_->alg_name; }

const std::string& SigningKey::kid() const { return impl_->kid; }

json SigningKey::PublicJwk() const { return impl_->public_jwk; }

json SigningKey::Jwks() const { return {{"keys", json::array({PublicJwk()})}}; }

std::string SigningKey::Sign(const json& claims) const {
  const json header = {{"alg", impl_->alg_name}, {"kid", impl_->kid}, {"typ", "JWT"}};
  return SignRaw(header.dump(), claims.dump());
}

std::string SigningKey::SignRaw(const std::string& header_json,
                                const std::string& payload_json) const {
  const std::string signing_input =
      Base64UrlEncode(header_json) + "." + Base64UrlEncode(payload_json);
  const auto signature = detail::SignJws(*impl_->alg, impl_->key.get(), signing_input);
  if (!signature) return {};
  return signing_input + "." + Base64UrlEncode(*signature);
}

}  // namespace hf::auth
