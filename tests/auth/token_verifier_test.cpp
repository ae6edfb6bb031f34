// Token verification against real issuers: keys generated at test time, JWKS and OIDC discovery
// served by a loopback HTTP server that counts its requests. Covers every rejection reason,
// the algorithm-confusion attacks, every accepted algorithm, key rotation, the refetch limit
// and jwks_file re-reading.
#include "auth/token_verifier.hpp"

#include <gtest/gtest.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "auth/detail/jwk.hpp"
#include "auth/signing_key.hpp"
#include "common/base64.hpp"
#include "common/http_server.hpp"
#include "testing/env.hpp"

namespace hf::auth {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

// A token issuer on loopback: /keys serves the JWKS of the keys given to Serve(), and
// /.well-known/openid-configuration points at it. Counts the requests of each.
class FakeIssuer {
 public:
  FakeIssuer() : server_(Options(), [this](const http::Request& r) { return Answer(r); }) {
    EXPECT_TRUE(server_.Start().has_value());
  }
  ~FakeIssuer() { server_.Stop(milliseconds(100)); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  void Serve(const std::vector<const SigningKey*>& keys) {
    json jwks = {{"keys", json::array()}};
    for (const SigningKey* key : keys) jwks["keys"].push_back(key->PublicJwk());
    ServeJwks(jwks);
  }
  void ServeJwks(json jwks) {
    std::lock_guard lock(mu_);
    jwks_ = std::move(jwks);
  }
  void SetDown(bool down) { down_ = down; }
  int jwks_requests() const { return jwks_requests_; }
  int discovery_requests() const { return discovery_requests_; }

 private:
  static http::ServerOptions Options() {
    http::ServerOptions o;
    o.host = "127.0.0.1";
    o.threads = 2;
    return o;
  }

  http::Response Answer(const http::Request& r) {
    if (r.path == "/keys") {
      ++jwks_requests_;
      if (down_) return {503, "text/plain", "down", {}};
      std::lock_guard lock(mu_);
      return {200, "application/json", jwks_.dump(), {}};
    }
    if (r.path == "/.well-known/openid-configuration") {
      ++discovery_requests_;
      if (down_) return {503, "text/plain", "down", {}};
      return {200,
              "application/json",
              json({{"issuer", url()}, {"jwks_uri", url() + "/keys"}}).dump(),
              {}};
    }
    return {404, "text/plain", "not found", {}};
  }

  std::mutex mu_;  // guards jwks_
  json jwks_ = {{"keys", json::array()}};
  std::atomic<bool> down_{false};
  std::atomic<int> jwks_requests_{0}, discovery_requests_{0};
  http::Server server_;
};

long long NowSeconds() { return static_cast<long long>(std::time(nullptr)); }

// The claims of a valid token of `iss`, for tests to alter.
json Claims(const std::string& iss) {
  const long long now = NowSeconds();
  return {{"iss", iss},          {"sub", "user-1"}, {"email", "ada@example.com"},
          {"aud", "hyperfleet"}, {"iat", now - 5},  {"exp", now + 300}};
}

IssuerConfig Issuer(const FakeIssuer& idp) {
  IssuerConfig issuer;
  issuer.issuer_url = idp.url();
  issuer.jwks_url = idp.url() + "/keys";
  issuer.audience = "hyperfleet";
  return issuer;
}

std::unique_ptr<TokenVerifier> MakeVerifier(std::vector<IssuerConfig> issuers,
                                            VerifierOptions options = {}) {
  options.fetch_timeout = milliseconds(2'000);
  auto verifier = TokenVerifier::Create(std::move(issuers), options);
  EXPECT_TRUE(verifier.has_value()) << verifier.error().ToString();
  return verifier ? std::move(*verifier) : nullptr;
}

SigningKey NewKey(const std::string& alg = "RS256") {
  auto key = SigningKey::Generate(alg);
  EXPECT_TRUE(key.has_value()) << key.error().ToString();
  return std::move(*key);
}

Principal Accepted(const TokenVerifier& verifier, const std::string& token) {
  auto result = verifier.Verify(token);
  if (const auto* r = std::get_if<Rejection>(&result)) {
    ADD_FAILURE() << "rejected: " << r->reason << ": " << r->detail;
    return {};
  }
  return std::get<Principal>(result);
}

// The rejection of `token`, checked to be one line that does not echo the token.
Rejection Rejected(const TokenVerifier& verifier, const std::string& token) {
  auto result = verifier.Verify(token);
  if (std::holds_alternative<Principal>(result)) {
    ADD_FAILURE() << "accepted: " << std::get<Principal>(result).identity;
    return {};
  }
  Rejection r = std::get<Rejection>(result);
  EXPECT_EQ(r.detail.find('\n'), std::string::npos) << r.detail;
  EXPECT_FALSE(r.detail.empty());
  for (size_t at = 0; token.size() >= 40 && at + 40 <= token.size(); at += 40) {
    EXPECT_EQ(r.detail.find(token.substr(at, 40)), std::string::npos) << r.detail;
  }
  return r;
}

std::string B64(const std::string& text) { return Base64UrlEncode(text); }

// A token with the given header and claims whose signature is `signature` (raw bytes).
std::string Compact(const json& header, const json& claims, const std::string& signature) {
  return B64(header.dump()) + "." + B64(claims.dump()) + "." + B64(signature);
}

class TokenVerifierTest : public ::testing::Test {
 protected:
  FakeIssuer idp_;
};

TEST_F(TokenVerifierTest, AcceptsEveryAlgorithm) {
  std::vector<SigningKey> keys;
  for (const char* alg : {"RS256", "RS384", "RS512", "PS256", "ES256", "ES384"}) {
    keys.push_back(NewKey(alg));
  }
  std::vector<const SigningKey*> served;
  for (const SigningKey& key : keys) served.push_back(&key);
  idp_.Serve(served);
  auto verifier = MakeVerifier({Issuer(idp_)});
  for (const SigningKey& key : keys) {
    SCOPED_TRACE(key.alg());
    const Principal p = Accepted(*verifier, key.Sign(Claims(idp_.url())));
    EXPECT_EQ(p.identity, "ada@example.com");
    EXPECT_EQ(p.role, Role::kAdmin);
    EXPECT_EQ(p.issuer, idp_.url());
  }
  EXPECT_EQ(idp_.jwks_requests(), 1);  // cached by kid
}

TEST_F(TokenVerifierTest, WithoutKidTriesTheKeysThatFitTheAlgorithm) {
  const SigningKey rsa = NewKey("RS256"), other_rsa = NewKey("RS256"), ec = NewKey("ES256");
  idp_.Serve({&other_rsa, &ec, &rsa});
  auto verifier = MakeVerifier({Issuer(idp_)});
  const json claims = Claims(idp_.url());
  EXPECT_EQ(Accepted(*verifier, rsa.SignRaw(R"({"alg":"RS256"})", claims.dump())).identity,
            "ada@example.com");
  EXPECT_EQ(Accepted(*verifier, ec.SignRaw(R"({"alg":"ES256"})", claims.dump())).identity,
            "ada@example.com");
  const SigningKey stranger = NewKey("RS256");
  EXPECT_EQ(Rejected(*verifier, stranger.SignRaw(R"({"alg":"RS256"})", claims.dump())).reason,
            "signature");
}

TEST_F(TokenVerifierTest, MissingToken) {
  auto verifier = MakeVerifier({Issuer(idp_)});
  const Rejection r = Rejected(*verifier, "");
  EXPECT_EQ(r.kind, Rejection::Kind::kMissing);
  EXPECT_EQ(r.reason, "missing");
}

TEST_F(TokenVerifierTest, MalformedTokens) {
  const SigningKey key = NewKey();
  idp_.Serve({&key});
  auto verifier = MakeVerifier({Issuer(idp_)});
  const std::string good = key.Sign(Claims(idp_.url()));
  const std::string header = good.substr(0, good.find('.'));
  const std::string payload = good.substr(good.find('.') + 1, good.rfind('.') - good.find('.') - 1);
  const std::string signature = good.substr(good.rfind('.') + 1);
  const std::string malformed[] = {
      "Bearer",
      "a.b",
      good + ".x",                                           // four parts
      "!!!." + payload + "." + signature,                    // bad base64
      header + "=." + payload + "." + signature,             // padding is not base64url
      B64("not json") + "." + payload + "." + signature,     // non-JSON header
      B64("[\"RS256\"]") + "." + payload + "." + signature,  // header not an object
      header + "." + B64("{\"iss\":") + "." + signature,     // non-JSON payload
      header + "." + payload + ".",                          // no signature
      header + "." + payload + "." + signature + "+",        // bad base64 in the signature
      key.SignRaw(R"({"alg":"RS256","crit":["exp"]})", Claims(idp_.url()).dump()),
      key.SignRaw(R"({"alg":"RS256","kid":7})", Claims(idp_.url()).dump()),
      B64(std::string(200, '[')) + "." + payload + "." + signature,  // nested too deeply
  };
  for (const std::string& token : malformed) {
    SCOPED_TRACE(token.substr(0, 80));
    const Rejection r = Rejected(*verifier, token);
    EXPECT_EQ(r.kind, Rejection::Kind::kInvalid);
    EXPECT_EQ(r.reason, "malformed") << r.detail;
  }
  json big = Claims(idp_.url());
  big["padding"] = std::string(17 * 1024, 'x');
  const Rejection too_large = Rejected(*verifier, key.Sign(big));
  EXPECT_EQ(too_large.reason, "malformed");
  EXPECT_EQ(too_large.detail, "token is larger than 16 KiB");
  EXPECT_EQ(Accepted(*verifier, good).identity, "ada@example.com");
}

TEST_F(TokenVerifierTest, RefusesAlgNone) {
  const SigningKey key = NewKey();
  idp_.Serve({&key});
  auto verifier = MakeVerifier({Issuer(idp_)});
  const json claims = Claims(idp_.url());
  for (const char* alg : {"none", "None", "NONE"}) {
    const std::string unsigned_token = Compact({{"alg", alg}, {"typ", "JWT"}}, claims, "");
    const Rejection r = Rejected(*verifier, unsigned_token);
    EXPECT_EQ(r.reason, "algorithm") << alg;
    EXPECT_NE(r.detail.find("is not accepted"), std::string::npos) << r.detail;
  }
  // A real signature does not make `none` acceptable either, nor does a header without alg.
  EXPECT_EQ(Rejected(*verifier, key.SignRaw(R"({"alg":"none"})", claims.dump())).reason,
            "algorithm");
  EXPECT_EQ(Rejected(*verifier, key.SignRaw(R"({"typ":"JWT"})", claims.dump())).reason,
            "algorithm");
}

// The classic confusion attack: an HS256 token whose HMAC secret is the issuer's RSA public
// key (PEM and raw modulus), which a naive verifier would use as the HMAC key.
TEST_F(TokenVerifierTest, RefusesHmacSignedWithThePublicKey) {
  const SigningKey key = NewKey();
  idp_.Serve({&key});
  auto verifier = MakeVerifier({Issuer(idp_)});

  auto jwk = detail::ParseJwk(key.PublicJwk());
  ASSERT_TRUE(jwk.has_value());
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PUBKEY(bio, jwk->key.get()), 1);
  char* data = nullptr;
  const std::string pem(data, static_cast<size_t>(BIO_get_mem_data(bio, &data)));
  BIO_free(bio);
  ASSERT_NE(pem.find("BEGIN PUBLIC KEY"), std::string::npos);

  for (const std::string& secret :
       {pem, *Base64UrlDecode(key.PublicJwk()["n"].get<std::string>()), key.PublicJwk().dump()}) {
    for (const char* alg : {"HS256", "HS384", "HS512"}) {
      const json header = {{"alg", alg}, {"kid", key.kid()}, {"typ", "JWT"}};
      const std::string input = B64(header.dump()) + "." + B64(Claims(idp_.url()).dump());
      unsigned char mac[EVP_MAX_MD_SIZE];
      unsigned int mac_len = 0;
      const EVP_MD* md = std::string(alg) == "HS256"   ? EVP_sha256()
                         : std::string(alg) == "HS384" ? EVP_sha384()
                                                       : EVP_sha512();
      ASSERT_NE(
          HMAC(md, secret.data(), static_cast<int>(secret.size()),
               reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len),
          nullptr);
      const std::string token =
          input + "." + B64(std::string(reinterpret_cast<char*>(mac), mac_len));
      const Rejection r = Rejected(*verifier, token);
      EXPECT_EQ(r.reason, "algorithm") << alg;
      EXPECT_EQ(r.detail, "token algorithm '" + std::string(alg) +
                              "' is not accepted (RS256, RS384, RS512, PS256, ES256, ES384)");
    }
  }
}

TEST_F(TokenVerifierTest, RefusesAKeyWhoseTypeDoesNotFitTheAlgorithm) {
  const SigningKey ec256 = NewKey("ES256"), rsa = NewKey("RS256"), ec384 = NewKey("ES384");
  const SigningKey ps = NewKey("PS256");
  json ps_jwk = ps.PublicJwk();
  ps_jwk["alg"] = "RS256";  // the issuer pins this RSA key to RS256
  json jwks = ec256.Jwks();
  jwks["keys"].push_back(ps_jwk);
  idp_.ServeJwks(jwks);
  auto verifier = MakeVerifier({Issuer(idp_)});
  const std::string claims = Claims(idp_.url()).dump();

  // An RS256 token naming the EC key (signed by some RSA key).
  Rejection r =
      Rejected(*verifier, rsa.SignRaw(R"({"alg":"RS256","kid":")" + ec256.kid() + "\"}", claims));
  EXPECT_EQ(r.reason, "algorithm");
  EXPECT_EQ(r.detail, "key '" + ec256.kid() + "' of " + idp_.url() + " is not usable with RS256");
  // An ES384 token naming the P-256 key.
  r = Rejected(*verifier, ec384.SignRaw(R"({"alg":"ES384","kid":")" + ec256.kid() + "\"}", claims));
  EXPECT_EQ(r.reason, "algorithm");
  // A PS256 token for a key whose JWK says RS256 (signed by that very key).
  r = Rejected(*verifier, ps.Sign(Claims(idp_.url())));
  EXPECT_EQ(r.reason, "algorithm");
  // An ES256 token whose signature is cut to the ES384 length of the other curve's key, or short.
  const std::string good = ec256.Sign(Claims(idp_.url()));
  EXPECT_EQ(Accepted(*verifier, good).identity, "ada@example.com");
  const std::string sig = *Base64UrlDecode(good.substr(good.rfind('.') + 1));
  const std::string head = good.substr(0, good.rfind('.') + 1);
  EXPECT_EQ(Rejected(*verifier, head + B64(sig.substr(0, 63))).reason, "signature");
  EXPECT_EQ(Rejected(*verifier, head + B64(sig + std::string(32, '\0'))).reason, "signature");
}

TEST_F(TokenVerifierTest, RefusesATamperedPayload) {
  const SigningKey rsa = NewKey("RS256"), ec = NewKey("ES256");
  idp_.Serve({&rsa, &ec});
  auto verifier = MakeVerifier({Issuer(idp_)});
  for (const SigningKey* key : {&rsa, &ec}) {
    const std::string token = key->Sign(Claims(idp_.url()));
    json claims = Claims(idp_.url());
    claims["email"] = "mallory@example.com";
    const size_t dot1 = token.find('.'), dot2 = token.rfind('.');
    const std::string forged = token.substr(0, dot1 + 1) + B64(claims.dump()) + token.substr(dot2);
    const Rejection r = Rejected(*verifier, forged);
    EXPECT_EQ(r.kind, Rejection::Kind::kInvalid);
    EXPECT_EQ(r.reason, "signature") << r.detail;
    // A signature from another key under this key's kid.
    const SigningKey other = NewKey(key->alg());
    const std::string header =
        json({{"alg", key->alg()}, {"kid", key->kid()}, {"typ", "JWT"}}).dump();
    EXPECT_EQ(Rejected(*verifier, other.SignRaw(header, Claims(idp_.url()).dump())).reason,
              "signature");
  }
}

TEST_F(TokenVerifierTest, RefusesAnUntrustedIssuer) {
  const SigningKey key = NewKey();
  idp_.Serve({&key});
  auto verifier = MakeVerifier({Issuer(idp_)});
  json claims = Claims("https://evil.example.com");
  Rejection r = Rejected(*verifier, key.Sign(claims));
  EXPECT_EQ(r.reason, "unknown_issuer");
  EXPECT_EQ(r.detail, "token issuer 'https://evil.example.com' is not trusted");
  claims["iss"] = idp_.url() + "/";  // must match exactly
  EXPECT_EQ(Rejected(*verifier, key.Sign(claims)).reason, "unknown_issuer");
  claims.erase("iss");
  EXPECT_EQ(Rejected(*verifier, key.Sign(claims)).reason, "unknown_issuer");
  EXPECT_EQ(idp_.jwks_requests(), 0);  // no fetch for an issuer we do not trust
}

TEST_F(TokenVerifierTest, ChecksTheAudience) {
  const SigningKey key = NewKey();
  idp_.Serve({&key});
  auto verifier = MakeVerifier({Issuer(idp_)});
  json claims = Claims(idp_.url());
  claims["aud"] = "other";
  Rejection r = Rejected(*verifier, key.Sign(claims));
  EXPECT_EQ(r.reason, "audience");
  EXPECT_EQ(r.detail, "token audience does not include 'hyperfleet'");
  claims["aud"] = json::array({"other", "hyperfleet"});
  Accepted(*verifier, key.Sign(claims));
  claims["aud"] = json::array({"other", "hyperfleet-x"});
  EXPECT_EQ(Rejected(*verifier, key.Sign(claims)).reason, "audience");
  claims.erase("aud");
  EXPECT_EQ(Rejected(*verifier, key.Sign(claims)).reason, "audience");

  IssuerConfig any_audience = Issuer(idp_);
  any_audience.audience.clear();
  auto unchecked = MakeVerifier({any_audience});
  Accepted(*unchecked, key.Sign(claims));
}

TEST_F(TokenVerifierTest, HonoursExpNbfAndIatWithLeeway) {
  const SigningKey key = NewKey();
  idp_.Serve({&key});
  auto verifier = MakeVerifier({Issuer(idp_)});
  const long long now = NowSeconds();
  json claims = Claims(idp_.url());

  claims["exp"] = now - 120;
  Rejection r = Rejected(*verifier, key.Sign(claims));
  EXPECT_EQ(r.kind, Rejection::Kind::kExpired);
  EXPECT_EQ(r.reason, "expired");
  claims["exp"] = 1000000000;
  EXPECT_EQ(Rejected(*verifier, key.Sign(claims)).detail, "token expired at 2001-09-09T01:46:40Z");
  claims["exp"] = now - 10;  // within the 30 s leeway
  Accepted(*verifier, key.Sign(claims));
  claims["exp"] = static_cast<double>(now) + 60.5;  // a NumericDate may have a fraction
  Accepted(*verifier, key.Sign(claims));

  claims.erase("exp");
  r = Rejected(*verifier, key.Sign(claims));
  EXPECT_EQ(r.reason, "claims");
  EXPECT_EQ(r.detail, "token has no expiry ('exp')");
  claims["exp"] = std::to_string(now + 300);
  EXPECT_EQ(Rejected(*verifier, key.Sign(claims)).reason, "claims");
  claims["exp"] = now + 300;

  claims["nbf"] = now + 120;
  r = Rejected(*verifier, key.Sign(claims));
  EXPECT_EQ(r.kind, Rejection::Kind::kInvalid);
  EXPECT_EQ(r.reason, "not_yet_valid");
  claims["nbf"] = now + 10;
  Accepted(*verifier, key.Sign(claims));
  claims["nbf"] = "soon";
  EXPECT_EQ(Rejected(*verifier, key.Sign(claims)).reason, "claims");
  claims.erase("nbf");

  claims["iat"] = now + 120;
  r = Rejected(*verifier, key.Sign(claims));
  EXPECT_EQ(r.reason, "not_yet_valid");
  EXPECT_NE(r.detail.find("issued in the future"), std::string::npos) << r.detail;
  claims["iat"] = now + 10;
  Accepted(*verifier, key.Sign(claims));
  claims.erase("iat");
  Accepted(*verifier, key.Sign(claims));  // iat is optional

  VerifierOptions strict;
  strict.leeway = std::chrono::seconds(0);
  auto no_leeway = MakeVerifier({Issuer(idp_)}, strict);
  claims["exp"] = now - 10;
  EXPECT_EQ(Rejected(*no_leeway, key.Sign(claims)).reason, "expired");
}

TEST_F(TokenVerifierTest, IdentityFallsBackToSub) {
  const SigningKey key = NewKey();
  idp_.Serve({&key});
  auto verifier = MakeVerifier({Issuer(idp_)});
  json claims = Claims(idp_.url());
  EXPECT_EQ(Accepted(*verifier, key.Sign(claims)).identity, "ada@example.com");
  claims.erase("email");
  EXPECT_EQ(Accepted(*verifier, key.Sign(claims)).identity, "user-1");
  claims["email"] = 42;  // not a string: not an identity
  EXPECT_EQ(Accepted(*verifier, key.Sign(claims)).identity, "user-1");
  claims.erase("sub");
  const Rejection r = Rejected(*verifier, key.Sign(claims));
  EXPECT_EQ(r.reason, "claims");
  EXPECT_EQ(r.detail, "token has neither 'email' nor 'sub'");

  IssuerConfig k8s = Issuer(idp_);
  k8s.identity_claim = "sub";
  auto sa_verifier = MakeVerifier({k8s});
  claims = Claims(idp_.url());
  claims["sub"] = "system:serviceaccount:hyperfleet:ticker";
  EXPECT_EQ(Accepted(*sa_verifier, key.Sign(claims)).identity,
            "system:serviceaccount:hyperfleet:ticker");
}

TEST_F(TokenVerifierTest, RolesClaimRaisesTheIssuerRole) {
  const SigningKey key = NewKey();
  idp_.Serve({&key});
  IssuerConfig issuer = Issuer(idp_);
  issuer.role = Role::kReader;
  issuer.roles_claim = "groups";
  issuer.role_map = {
      {"sre", Role::kReader}, {"adapters", Role::kAdapter}, {"admins", Role::kAdmin}};
  IssuerConfig admin_issuer = issuer;
  admin_issuer.role = Role::kAdmin;
  auto verifier = MakeVerifier({issuer});
  auto admin_verifier = MakeVerifier({admin_issuer});
  json claims = Claims(idp_.url());

  EXPECT_EQ(Accepted(*verifier, key.Sign(claims)).role, Role::kReader);  // no claim
  claims["groups"] = json::array({"staff", "adapters"});
  EXPECT_EQ(Accepted(*verifier, key.Sign(claims)).role, Role::kAdapter);
  claims["groups"] = json::array({"admins", "adapters", 7});
  EXPECT_EQ(Accepted(*verifier, key.Sign(claims)).role, Role::kAdmin);
  claims["groups"] = "admins";  // a single string
  EXPECT_EQ(Accepted(*verifier, key.Sign(claims)).role, Role::kAdmin);
  claims["groups"] = json::array({"Admins", "unknown"});
  EXPECT_EQ(Accepted(*verifier, key.Sign(claims)).role, Role::kReader);
  claims["groups"] = json::array({"sre"});  // raises only, never lowers
  EXPECT_EQ(Accepted(*admin_verifier, key.Sign(claims)).role, Role::kAdmin);
}

TEST_F(TokenVerifierTest, ThePrincipalNamesTheAdapterOfItsToken) {
  const SigningKey key = NewKey();
  idp_.Serve({&key});
  IssuerConfig custom = Issuer(idp_);
  custom.adapter_name_claim = "hyperfleet.io/adapter";
  json claims = Claims(idp_.url());
  EXPECT_EQ(Accepted(*MakeVerifier({Issuer(idp_)}), key.Sign(claims)).adapter, "");
  auto verifier = MakeVerifier({custom});
  EXPECT_EQ(Accepted(*verifier, key.Sign(claims)).adapter, "");  // no claim
  claims["hyperfleet.io/adapter"] = "dns";
  EXPECT_EQ(Accepted(*verifier, key.Sign(claims)).adapter, "dns");
  claims["hyperfleet.io/adapter"] = json::array({"dns"});  // not a string
  EXPECT_EQ(Accepted(*verifier, key.Sign(claims)).adapter, "");
  claims["hyperfleet.io/adapter"] = "../../etc/passwd; rm -rf / #";
  EXPECT_EQ(Accepted(*verifier, key.Sign(claims)).adapter, "");

  IssuerConfig k8s = Issuer(idp_);
  k8s.identity_claim = "sub";
  k8s.adapter_name_claim = "sub";
  k8s.adapter_name_pattern = "^system:serviceaccount:hyperfleet:hyperfleet-adapter-(.+)$";
  auto sa_verifier = MakeVerifier({k8s});
  claims = Claims(idp_.url());
  claims["sub"] = "system:serviceaccount:hyperfleet:hyperfleet-adapter-pull-secret";
  const Principal adapter = Accepted(*sa_verifier, key.Sign(claims));
  EXPECT_EQ(adapter.adapter, "pull-secret");
  EXPECT_EQ(adapter.identity, "system:serviceaccount:hyperfleet:hyperfleet-adapter-pull-secret");
  claims["sub"] = "system:serviceaccount:hyperfleet:hyperfleet";  // the tickers'
  EXPECT_EQ(Accepted(*sa_verifier, key.Sign(claims)).adapter, "");

  IssuerConfig bad = k8s;
  bad.adapter_name_pattern = "[";
  auto refused = TokenVerifier::Create({bad});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().message.rfind("auth.issuers[0].adapter_name_pattern: '[' is not", 0),
            0u)
      << refused.error().message;
}

TEST_F(TokenVerifierTest, DiscoversTheJwksUrl) {
  const SigningKey key = NewKey("ES256");
  idp_.Serve({&key});
  IssuerConfig issuer = Issuer(idp_);
  issuer.jwks_url.clear();
  auto verifier = MakeVerifier({issuer});
  EXPECT_EQ(Accepted(*verifier, key.Sign(Claims(idp_.url()))).identity, "ada@example.com");
  EXPECT_EQ(Accepted(*verifier, key.Sign(Claims(idp_.url()))).identity, "ada@example.com");
  EXPECT_EQ(idp_.discovery_requests(), 1);
  EXPECT_EQ(idp_.jwks_requests(), 1);
}

TEST_F(TokenVerifierTest, FindsARotatedKeyByRefetching) {
  const SigningKey old_key = NewKey(), new_key = NewKey("ES256");
  idp_.Serve({&old_key});
  VerifierOptions options;
  options.refetch_interval = milliseconds(50);
  options.cache_entries = 0;  // every token is checked against the current keys
  auto verifier = MakeVerifier({Issuer(idp_)}, options);
  Accepted(*verifier, old_key.Sign(Claims(idp_.url())));
  ASSERT_EQ(idp_.jwks_requests(), 1);

  idp_.Serve({&new_key});  // the issuer rotates
  std::this_thread::sleep_for(milliseconds(60));
  EXPECT_EQ(Accepted(*verifier, new_key.Sign(Claims(idp_.url()))).identity, "ada@example.com");
  EXPECT_EQ(idp_.jwks_requests(), 2);
  // The old key is gone with the new JWKS.
  std::this_thread::sleep_for(milliseconds(60));
  const Rejection r = Rejected(*verifier, old_key.Sign(Claims(idp_.url())));
  EXPECT_EQ(r.reason, "unknown_key");
  EXPECT_EQ(r.detail, "no key '" + old_key.kid() + "' in the JWKS of " + idp_.url());
}

TEST_F(TokenVerifierTest, RemembersAVerifiedTokenUntilTheCacheTtlOrItsExpiry) {
  const std::string path = testing::MakeTempDir("jwks-cache") + "/jwks.json";
  const SigningKey key = NewKey();
  std::ofstream(path) << key.Jwks().dump();
  IssuerConfig issuer;
  issuer.issuer_url = "https://kubernetes.default.svc";
  issuer.jwks_file = path;  // re-read on change: a withdrawn key counts at once
  VerifierOptions options;
  options.cache_ttl = std::chrono::seconds(1);
  options.leeway = std::chrono::seconds(0);
  auto verifier = MakeVerifier({issuer}, options);
  const std::string token = key.Sign(Claims(issuer.issuer_url));
  json short_lived = Claims(issuer.issuer_url);
  short_lived["exp"] = NowSeconds() + 2;
  const std::string brief = key.Sign(short_lived);
  Accepted(*verifier, token);
  Accepted(*verifier, brief);
  std::this_thread::sleep_for(milliseconds(2100));
  // A remembered token still expires at its exp.
  EXPECT_EQ(Rejected(*verifier, brief).reason, "expired");
  Accepted(*verifier, token);

  std::ofstream(path + ".new") << json({{"keys", json::array()}}).dump();
  std::filesystem::rename(path + ".new", path);  // the key is withdrawn
  // The same token text is honoured from memory; a new token of that key is checked and refused.
  EXPECT_EQ(Accepted(*verifier, token).identity, "ada@example.com");
  json other = Claims(issuer.issuer_url);
  other["jti"] = "another";
  EXPECT_EQ(Rejected(*verifier, key.Sign(other)).reason, "unknown_key");
  std::this_thread::sleep_for(milliseconds(1100));
  // Past the cache TTL the withdrawn key counts again.
  EXPECT_EQ(Rejected(*verifier, token).reason, "unknown_key");
}

TEST_F(TokenVerifierTest, RefetchesKeysOlderThanTheMaxAge) {
  const SigningKey key = NewKey();
  idp_.Serve({&key});
  VerifierOptions options;
  options.refetch_interval = milliseconds(0);
  options.keys_max_age = milliseconds(100);
  options.cache_entries = 0;
  auto verifier = MakeVerifier({Issuer(idp_)}, options);
  Accepted(*verifier, key.Sign(Claims(idp_.url())));
  Accepted(*verifier, key.Sign(Claims(idp_.url())));
  EXPECT_EQ(idp_.jwks_requests(), 1);  // fresh keys are not fetched again
  std::this_thread::sleep_for(milliseconds(150));
  idp_.SetDown(true);  // a failed refresh keeps the known keys
  Accepted(*verifier, key.Sign(Claims(idp_.url())));
  EXPECT_EQ(idp_.jwks_requests(), 2);
  idp_.SetDown(false);
  idp_.Serve({});  // the issuer withdraws the key
  std::this_thread::sleep_for(milliseconds(150));
  EXPECT_EQ(Rejected(*verifier, key.Sign(Claims(idp_.url()))).reason, "unknown_key");
}

TEST_F(TokenVerifierTest, BogusKidsCannotHammerTheIssuer) {
  const SigningKey key = NewKey();
  idp_.Serve({&key});
  auto verifier = MakeVerifier({Issuer(idp_)});  // refetch at most every 10 s
  Accepted(*verifier, key.Sign(Claims(idp_.url())));
  const std::string claims = Claims(idp_.url()).dump();
  for (int i = 0; i < 50; ++i) {
    const std::string kid = "bogus-" + std::to_string(i);
    const Rejection r =
        Rejected(*verifier, key.SignRaw(R"({"alg":"RS256","kid":")" + kid + "\"}", claims));
    EXPECT_EQ(r.reason, "unknown_key");
  }
  EXPECT_LE(idp_.jwks_requests(), 2);
  Accepted(*verifier, key.Sign(Claims(idp_.url())));  // the known key still works

  // Concurrent verifiers on a cold cache: one fetch, not one per thread.
  FakeIssuer cold;
  cold.Serve({&key});
  auto cold_verifier = MakeVerifier({Issuer(cold)});
  const std::string cold_claims = Claims(cold.url()).dump();
  std::vector<std::thread> threads;
  std::atomic<int> unknown{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 6; ++i) {
        const std::string kid = "bogus-" + std::to_string(t) + "-" + std::to_string(i);
        auto result = cold_verifier->Verify(
            key.SignRaw(R"({"alg":"RS256","kid":")" + kid + "\"}", cold_claims));
        if (auto* r = std::get_if<Rejection>(&result); r && r->reason == "unknown_key") ++unknown;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(unknown, 48);
  EXPECT_EQ(cold.jwks_requests(), 1);
}

TEST_F(TokenVerifierTest, UnreachableIssuerIsKeysUnavailable) {
  const SigningKey key = NewKey();
  idp_.Serve({&key});
  idp_.SetDown(true);
  VerifierOptions options;
  options.refetch_interval = milliseconds(50);
  auto verifier = MakeVerifier({Issuer(idp_)}, options);
  Rejection r = Rejected(*verifier, key.Sign(Claims(idp_.url())));
  EXPECT_EQ(r.kind, Rejection::Kind::kInvalid);
  EXPECT_EQ(r.reason, "keys_unavailable");
  EXPECT_NE(r.detail.find(idp_.url()), std::string::npos) << r.detail;
  // Within the interval the failure is remembered, not retried.
  EXPECT_EQ(Rejected(*verifier, key.Sign(Claims(idp_.url()))).reason, "keys_unavailable");
  EXPECT_EQ(idp_.jwks_requests(), 1);
  // Once the issuer is back, the next fetch after the interval succeeds.
  idp_.SetDown(false);
  std::this_thread::sleep_for(milliseconds(60));
  Accepted(*verifier, key.Sign(Claims(idp_.url())));

  // Nothing listens: the same answer.
  IssuerConfig gone = Issuer(idp_);
  gone.issuer_url = "http://127.0.0.1:1";
  gone.jwks_url = "http://127.0.0.1:1/keys";
  auto gone_verifier = MakeVerifier({gone});
  EXPECT_EQ(Rejected(*gone_verifier, key.Sign(Claims(gone.issuer_url))).reason, "keys_unavailable");
}

TEST_F(TokenVerifierTest, RereadsAReplacedJwksFile) {
  const std::string dir = testing::MakeTempDir("jwks");
  const std::string path = dir + "/jwks.json";
  const auto write = [&](const json& jwks) {  // as Kubernetes does: a new file renamed over
    std::ofstream(path + ".new") << jwks.dump();
    std::filesystem::rename(path + ".new", path);
  };
  const SigningKey first = NewKey(), second = NewKey("ES384");
  write(first.Jwks());
  IssuerConfig issuer;
  issuer.issuer_url = "https://kubernetes.default.svc";
  issuer.jwks_file = path;
  VerifierOptions no_cache;
  no_cache.cache_entries = 0;  // every token is checked against the current file
  auto verifier = MakeVerifier({issuer}, no_cache);
  Accepted(*verifier, first.Sign(Claims(issuer.issuer_url)));
  EXPECT_EQ(Rejected(*verifier, second.Sign(Claims(issuer.issuer_url))).reason, "unknown_key");

  write(second.Jwks());
  Accepted(*verifier, second.Sign(Claims(issuer.issuer_url)));
  EXPECT_EQ(Rejected(*verifier, first.Sign(Claims(issuer.issuer_url))).reason, "unknown_key");

  std::filesystem::remove(path);
  EXPECT_EQ(Rejected(*verifier, second.Sign(Claims(issuer.issuer_url))).reason, "keys_unavailable");
  std::ofstream(path) << "{\"keys\": ";  // not a JWKS
  EXPECT_EQ(Rejected(*verifier, second.Sign(Claims(issuer.issuer_url))).reason, "keys_unavailable");
  std::filesystem::remove_all(dir);
}

TEST_F(TokenVerifierTest, PicksTheIssuerByIss) {
  FakeIssuer other;
  const SigningKey a = NewKey(), b = NewKey();
  idp_.Serve({&a});
  other.Serve({&b});
  IssuerConfig second = Issuer(other);
  second.role = Role::kReader;
  auto verifier = MakeVerifier({Issuer(idp_), second});
  EXPECT_EQ(Accepted(*verifier, a.Sign(Claims(idp_.url()))).role, Role::kAdmin);
  EXPECT_EQ(Accepted(*verifier, b.Sign(Claims(other.url()))).role, Role::kReader);
  // A's key does not speak for the other issuer.
  EXPECT_EQ(Rejected(*verifier, a.Sign(Claims(other.url()))).reason, "unknown_key");
}

TEST(TokenVerifierCreate, ValidatesTheIssuers) {
  IssuerConfig a;
  a.issuer_url = "https://a.example.com";
  auto dup = TokenVerifier::Create({a, a});
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().message,
            "auth.issuers[1].issuer_url: 'https://a.example.com' is already auth.issuers[0]");
  IssuerConfig both = a;
  both.jwks_url = "https://a.example.com/keys";
  both.jwks_file = "/keys.json";
  EXPECT_FALSE(TokenVerifier::Create({both}).has_value());
  EXPECT_FALSE(TokenVerifier::Create({IssuerConfig{}}).has_value());
  // Creating does not fetch: an issuer that is down does not stop the API from starting.
  IssuerConfig down = a;
  down.issuer_url = "http://127.0.0.1:1";
  EXPECT_TRUE(TokenVerifier::Create({down}).has_value());
}

}  // namespace
}  // namespace hf::auth
