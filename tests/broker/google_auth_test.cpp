#include "broker/pubsub/google_auth.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "common/base64.hpp"

namespace hf::broker::detail {
namespace {

struct KeyPair {
  std::string private_pem;
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{nullptr, EVP_PKEY_free};
};

KeyPair MakeRsaKey() {
  KeyPair kp;
  kp.key.reset(EVP_RSA_gen(2048));
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(bio.get(), kp.key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  kp.private_pem.assign(data, static_cast<size_t>(len));
  return kp;
}

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t dot; (dot = s.find('.', start)) != std::string::npos; start = dot + 1) {
    out.push_back(s.substr(start, dot - start));
  }
  out.push_back(s.substr(start));
  return out;
}

TEST(GoogleAuth, ParsesServiceAccountKey) {
  auto key = ParseServiceAccountKey(
      R"({"type":"service_account","client_email":"sa@p.iam.gserviceaccount.com",
          "private_key":"PEM","token_uri":"https://example.test/token"})");
  ASSERT_TRUE(key.has_value()) << key.error().ToString();
  EXPECT_EQ(key->client_email, "sa@p.iam.gserviceaccount.com");
  EXPECT_EQ(key->token_uri, "https://example.test/token");
  auto missing = ParseServiceAccountKey(R"({"client_email":"x"})");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(missing.error().message.find("private_key"), std::string::npos);
  EXPECT_FALSE(ParseServiceAccountKey("not json").has_value());
}

TEST(GoogleAuth, JwtHasTheExpectedClaimsAndAValidRs256Signature) {
  const KeyPair kp = MakeRsaKey();
  ServiceAccountKey key{"sa@p.iam.gserviceaccount.com", kp.private_pem,
                        "https://oauth2.googleapis.com/token"};
  const Time now = Time(std::chrono::seconds(1'700'000'000));
  auto jwt = MakeServiceAccountJwt(key, "https://www.googleapis.com/auth/pubsub", now);
  ASSERT_TRUE(jwt.has_value()) << jwt.error().ToString();
  const auto parts = Split(*jwt);
  ASSERT_EQ(parts.size(), 3u);

  const auto header = nlohmann::json::parse(Base64Decode(parts[0]).value());
  EXPECT_EQ(header, (nlohmann::json{{"alg", "RS256"}, {"typ", "JWT"}}));
  const auto claims = nlohmann::json::parse(Base64Decode(parts[1]).value());
  EXPECT_EQ(claims["iss"], "sa@p.iam.gserviceaccount.com");
  EXPECT_EQ(claims["scope"], "https://www.googleapis.com/auth/pubsub");
  EXPECT_EQ(claims["aud"], "https://oauth2.googleapis.com/token");
  EXPECT_EQ(claims["iat"], 1'700'000'000);
  EXPECT_EQ(claims["exp"], 1'700'003'600);

  const std::string input = parts[0] + "." + parts[1];
  const std::string sig = Base64Decode(parts[2]).value();
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  ASSERT_EQ(EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, kp.key.get()), 1);
  EXPECT_EQ(
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()),
      1);
}

TEST(GoogleAuth, BadPrivateKeyIsAnError) {
  ServiceAccountKey key{"sa@x", "not a pem", "https://example.test/token"};
  auto jwt = MakeServiceAccountJwt(key, "scope", Now());
  ASSERT_FALSE(jwt.has_value());
  EXPECT_EQ(jwt.error().code, ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hf::broker::detail
