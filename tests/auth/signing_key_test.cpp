// Signing keys: generated and persisted keys, their public JWKs and kids (RFC 7638), and
// signatures in JOSE form.
#include "auth/signing_key.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "auth/detail/jwk.hpp"
#include "common/base64.hpp"
#include "common/file.hpp"
#include "testing/env.hpp"

namespace hf::auth {
namespace {

using nlohmann::json;

TEST(SigningKey, ThumbprintMatchesRfc7638) {
  // RFC 7638 §3.1.
  const json members = {
      {"kty", "RSA"},
      {"e", "AQAB"},
      {"n",
       "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
       "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-"
       "65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-"
       "bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}};
  EXPECT_EQ(detail::JwkThumbprint(members), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST(SigningKey, GeneratesEveryAlgorithmWithItsPublicJwk) {
  const struct {
    const char* alg;
    const char* kty;
    const char* crv;
    size_t signature_size;
  } cases[] = {{"RS256", "RSA", "", 256},    {"RS384", "RSA", "", 256},
               {"RS512", "RSA", "", 256},    {"PS256", "RSA", "", 256},
               {"ES256", "EC", "P-256", 64}, {"ES384", "EC", "P-384", 96}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.alg);
    auto key = SigningKey::Generate(c.alg);
    ASSERT_TRUE(key.has_value()) << key.error().ToString();
    EXPECT_EQ(key->alg(), c.alg);
    const json jwk = key->PublicJwk();
    EXPECT_EQ(jwk["kty"], c.kty);
    EXPECT_EQ(jwk["alg"], c.alg);
    EXPECT_EQ(jwk["use"], "sig");
    EXPECT_EQ(jwk["kid"], key->kid());
    EXPECT_FALSE(jwk.contains("d"));  // never the private part
    json members = {{"kty", c.kty}};
    for (const char* m : {"n", "e", "crv", "x", "y"}) {
      if (jwk.contains(m)) members[m] = jwk[m];
    }
    EXPECT_EQ(key->kid(), detail::JwkThumbprint(members));
    if (std::string(c.kty) == "EC") {
      EXPECT_EQ(jwk["crv"], c.crv);
    }
    EXPECT_EQ(key->Jwks(), json({{"keys", json::array({jwk})}}));

    // The public JWK is a usable verification key again.
    auto parsed = detail::ParseJwk(jwk);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
    EXPECT_EQ(parsed->kid, key->kid());

    const std::string token = key->Sign({{"sub", "x"}});
    const size_t dot = token.find('.');
    const json header = json::parse(*Base64UrlDecode(token.substr(0, dot)));
    EXPECT_EQ(header, json({{"alg", c.alg}, {"kid", key->kid()}, {"typ", "JWT"}}));
    EXPECT_EQ(Base64UrlDecode(token.substr(token.rfind('.') + 1))->size(), c.signature_size);
  }
}

TEST(SigningKey, RefusesOtherAlgorithms) {
  for (const char* alg : {"none", "HS256", "ES512", "EdDSA", "rs256"}) {
    auto key = SigningKey::Generate(alg);
    ASSERT_FALSE(key.has_value()) << alg;
    EXPECT_EQ(key.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(SigningKey, LoadOrCreateWritesAnOwnerOnlyPemAndReadsItBack) {
  const std::string dir = testing::MakeTempDir("signing-key");
  const std::string path = dir + "/key.pem";
  auto created = SigningKey::LoadOrCreate(path, "ES256");
  ASSERT_TRUE(created.has_value()) << created.error().ToString();
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(ReadFile(path)->find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);  // no temp left

  auto loaded = SigningKey::LoadOrCreate(path, "ES256");
  ASSERT_TRUE(loaded.has_value()) << loaded.error().ToString();
  EXPECT_EQ(loaded->kid(), created->kid());
  EXPECT_EQ(loaded->PublicJwk(), created->PublicJwk());

  // The key type is fixed by the file.
  auto wrong = SigningKey::LoadOrCreate(path, "RS256");
  ASSERT_FALSE(wrong.has_value());
  EXPECT_NE(wrong.error().message.find("not usable with RS256"), std::string::npos)
      << wrong.error().message;
  auto wrong_curve = SigningKey::LoadOrCreate(path, "ES384");
  ASSERT_FALSE(wrong_curve.has_value());

  std::ofstream(dir + "/junk.pem") << "not a key";
  auto junk = SigningKey::LoadOrCreate(dir + "/junk.pem");
  ASSERT_FALSE(junk.has_value());
  EXPECT_NE(junk.error().message.find("is not a PEM private key"), std::string::npos);

  auto unwritable = SigningKey::LoadOrCreate(dir + "/missing/key.pem");
  ASSERT_FALSE(unwritable.has_value());
  std::filesystem::remove_all(dir);
}

TEST(SigningKey, RsaKeysPersistToo) {
  const std::string dir = testing::MakeTempDir("signing-key");
  auto created = SigningKey::LoadOrCreate(dir + "/rsa.pem");
  ASSERT_TRUE(created.has_value()) << created.error().ToString();
  EXPECT_EQ(created->alg(), "RS256");
  auto as_ps256 = SigningKey::LoadOrCreate(dir + "/rsa.pem", "PS256");  // same RSA key
  ASSERT_TRUE(as_ps256.has_value()) << as_ps256.error().ToString();
  EXPECT_EQ(as_ps256->kid(), created->kid());
  EXPECT_EQ(as_ps256->alg(), "PS256");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hf::auth
