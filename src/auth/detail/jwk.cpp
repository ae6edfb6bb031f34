#include "auth/detail/jwk.hpp"

#include <openssl/core_names.h>
#include <openssl/sha.h>

#include <array>

#include "common/base64.hpp"
#include "common/json_depth.hpp"

namespace hf::auth::detail {
namespace {

using nlohmann::json;

struct Curve {
  std::string_view jwk_name;  // "P-256"
  const char* openssl_name;   // "prime256v1"
  size_t coordinate_size;     // bytes of x and of y
};
constexpr std::array<Curve, 2> kCurves{{{"P-256", "prime256v1", 32}, {"P-384", "secp384r1", 48}}};

std::unexpected<Error> Bad(std::string why) {
  return Fail(ErrorCode::kInvalidArgument, std::move(why));
}

// A base64url member (no padding, URL alphabet only) decoded.
Result<std::string> Member(const json& jwk, const char* name) {
  const auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return Bad(std::string("'") + name + "' is missing");
  }
  auto bytes = Base64UrlDecode(it->get_ref<const std::string&>());
  if (!bytes || bytes->empty()) return Bad(std::string("'") + name + "' is not base64url");
  return std::move(*bytes);
}

BIGNUM* ToBn(std::string_view bytes) {
  return BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                   static_cast<int>(bytes.size()), nullptr);
}

// Builds a public key of `type` ("RSA" | "EC") from the parameters in `bld`.
Result<PkeyPtr> FromData(const char* type, OSSL_PARAM_BLD* bld) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return Bad("not a valid " + std::string(type) + " public key (" + OpenSslError() + ")");
  }
  PkeyPtr key(raw);
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    return Bad("not a valid " + std::string(type) + " public key (" + OpenSslError() + ")");
  }
  return key;
}

Result<PkeyPtr> RsaKey(const json& jwk) {
  const std::string n = HF_TRY(Member(jwk, "n"));
  const std::string e = HF_TRY(Member(jwk, "e"));
  BnPtr bn_n(ToBn(n)), bn_e(ToBn(e));
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return Bad("cannot build the RSA key (" + OpenSslError() + ")");
  }
  PkeyPtr key = HF_TRY(FromData("RSA", bld.get()));
  const int bits = EVP_PKEY_get_bits(key.get());
  if (bits < kMinRsaBits || bits > kMaxRsaBits) {
    return Bad("RSA key of " + std::to_string(bits) + " bits (must be " +
               std::to_string(kMinRsaBits) + " to " + std::to_string(kMaxRsaBits) + ")");
  }
  return key;
}

Result<PkeyPtr> EcKey(const json& jwk, const Curve& curve) {
  const std::string x = HF_TRY(Member(jwk, "x"));
  const std::string y = HF_TRY(Member(jwk, "y"));
  if (x.size() != curve.coordinate_size || y.size() != curve.coordinate_size) {
    return Bad("'x'/'y' are not " + std::to_string(curve.coordinate_size) + " bytes long");
  }
  const std::string point = "\x04" + x + y;  // SEC 1 uncompressed point
  ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld ||
      OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve.openssl_name,
                                      0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return Bad("cannot build the EC key (" + OpenSslError() + ")");
  }
  return FromData("EC", bld.get());
}

std::string Text(const json& jwk, const char* name) {
  const auto it = jwk.find(name);
  return it != jwk.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<std::string> BnMember(EVP_PKEY* key, const char* param, size_t pad_to) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &raw) != 1) {
    return Fail(ErrorCode::kInternal, "cannot read the public key", OpenSslError());
  }
  BnPtr bn(raw);
  std::string bytes(pad_to == 0 ? static_cast<size_t>(BN_num_bytes(bn.get())) : pad_to, '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(bytes.data()),
                   static_cast<int>(bytes.size())) < 0) {
    return Fail(ErrorCode::kInternal, "cannot encode the public key", OpenSslError());
  }
  return Base64UrlEncode(bytes);
}

}  // namespace

bool Jwk::Fits(const JwsAlgorithm& a) const {
  return kty == a.kty && crv == a.crv && (alg.empty() || alg == a.name);
}

Result<Jwk> ParseJwk(const json& jwk) {
  if (!jwk.is_object()) return Bad("a key is not a JSON object");
  Jwk out{.kid = Text(jwk, "kid"),
          .kty = Text(jwk, "kty"),
          .crv = {},
          .alg = Text(jwk, "alg"),
          .key = nullptr};
  if (const std::string use = Text(jwk, "use"); !use.empty() && use != "sig") {
    return Bad("key use '" + use + "' is not 'sig'");
  }
  if (!out.alg.empty() && !FindJwsAlgorithm(out.alg)) {
    return Bad("key algorithm '" + out.alg + "' is not accepted");
  }
  if (out.kty == "RSA") {
    out.key = Share(HF_TRY(RsaKey(jwk)));
    return out;
  }
  if (out.kty == "EC") {
    out.crv = Text(jwk, "crv");
    for (const Curve& curve : kCurves) {
      if (curve.jwk_name == out.crv) {
        out.key = Share(HF_TRY(EcKey(jwk, curve)));
        return out;
      }
    }
    return Bad("curve '" + out.crv + "' is not accepted (P-256, P-384)");
  }
  return Bad("key type '" + out.kty + "' is not accepted (RSA, EC)");
}

Result<std::vector<Jwk>> ParseJwks(std::string_view text) {
  if (JsonNestedDeeperThan(text)) return Bad("the JWKS nests too deeply");
  const json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("keys") || !doc["keys"].is_array()) {
    return Bad("not a JWKS (a JSON object with a 'keys' array)");
  }
  std::vector<Jwk> keys;
  for (const json& item : doc["keys"]) {
    if (auto key = ParseJwk(item)) keys.push_back(std::move(*key));
  }
  return keys;
}

Result<json> PublicJwkMembers(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) {
    return json{{"kty", "RSA"},
                {"n", HF_TRY(BnMember(key, OSSL_PKEY_PARAM_RSA_N, 0))},
                {"e", HF_TRY(BnMember(key, OSSL_PKEY_PARAM_RSA_E, 0))}};
  }
  std::array<char, 64> group{};
  if (EVP_PKEY_is_a(key, "EC") &&
      EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(),
                                     nullptr) == 1) {
    for (const Curve& curve : kCurves) {
      if (curve.openssl_name != std::string_view(group.data())) continue;
      return json{{"kty", "EC"},
                  {"crv", curve.jwk_name},
                  {"x", HF_TRY(BnMember(key, OSSL_PKEY_PARAM_EC_PUB_X, curve.coordinate_size))},
                  {"y", HF_TRY(BnMember(key, OSSL_PKEY_PARAM_EC_PUB_Y, curve.coordinate_size))}};
    }
  }
  return Bad("the key is neither RSA nor EC on P-256/P-384");
}

std::string JwkThumbprint(const json& members) {
  // nlohmann::json keeps object members sorted and dump() writes no whitespace: exactly the
  // RFC 7638 canonical form for these ASCII members.
  const std::string canonical = members.dump();
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), digest.data());
  return Base64UrlEncode(
      std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

}  // namespace hf::auth::detail
