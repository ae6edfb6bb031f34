// Authentication and roles over HTTP: the real `hyperfleet api` verifying tokens of a real
// issuer (a key made at test time, discovery and JWKS served on loopback by auth::LocalIssuer).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "auth/local_issuer.hpp"
#include "common/http_client.hpp"
#include "common/time.hpp"
#include "testing/api_server.hpp"
#include "testing/env.hpp"
#include "testing/process.hpp"
#include "testing/test_certs.hpp"

namespace hf::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// One API with auth on, trusting one issuer: every token is a reader, raised by its `groups`;
// an adapter token names its adapter in the claim hyperfleet.io/adapter.
class AuthE2E : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto key = auth::SigningKey::Generate("RS256");
    ASSERT_TRUE(key) << key.error().ToString();
    auto issuer = auth::LocalIssuer::Start(std::move(*key));
    ASSERT_TRUE(issuer) << issuer.error().ToString();
    issuer_ = issuer->release();
    dir_ = new std::string(MakeTempDir("hf-auth-e2e"));
    std::ofstream(*dir_ + "/api.yaml")
        << "auth:\n  issuers:\n    - issuer_url: " << issuer_->url()
        << "\n      audience: hyperfleet\n      role: reader\n      roles_claim: groups\n"
           "      role_map: {platform-admins: admin, hyperfleet-adapters: adapter}\n"
           "      adapter_name_claim: hyperfleet.io/adapter\n";
    api_ = new ApiServer("sqlite", {"--config", *dir_ + "/api.yaml", "--auth-enabled", "true"});
  }
  static void TearDownTestSuite() {
    delete api_;
    delete issuer_;
    delete dir_;
  }
  void SetUp() override {
    ASSERT_TRUE(api_->error().empty()) << api_->error();
    api_->set_token("");
  }

  static std::string Token(const std::string& email, json groups = json::array(),
                           std::chrono::seconds ttl = 600s, const std::string& adapter = "") {
    json claims = {{"email", email}, {"groups", std::move(groups)}};
    if (!adapter.empty()) claims["hyperfleet.io/adapter"] = adapter;
    return issuer_->Mint(email.substr(0, email.find('@')), ttl, claims);
  }
  static std::string Admin() { return Token("admin@example.com", {"platform-admins"}); }
  // The token of adapter `name`, or, with "", one of an adapter identity that names no adapter.
  static std::string AdapterToken(const std::string& name = "validation") {
    return Token("adapter@example.com", {"hyperfleet-adapters"}, 600s, name);
  }
  static std::string Reader() { return Token("reader@example.com"); }

  static HttpResponse Send(const std::string& method, const std::string& path,
                           const std::string& authorization, const std::string& body = "") {
    HttpRequest req;
    req.method = method;
    req.url = (path.starts_with("/api/hyperfleet/v1") || path == "/api/hyperfleet")
                  ? api_->base() + path
                  : api_->api() + path;
    if (!authorization.empty()) req.headers.emplace_back("Authorization", authorization);
    if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
    req.body = body;
    auto res = HttpClient().Send(req);
    EXPECT_TRUE(res) << res.error().ToString();
    return res ? *res : HttpResponse{};
  }

  static json Body(const HttpResponse& res) { return json::parse(res.body, nullptr, false); }

  double Metric(const std::string& line_prefix) {
    HttpRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(api_->metrics_port()) + "/metrics";
    auto res = HttpClient().Send(req);
    if (!res) return -1;
    std::istringstream lines(res->body);
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with(line_prefix)) return std::stod(line.substr(line.rfind(' ') + 1));
    }
    return 0;
  }

  // A cluster with one nodepool, made by an admin.
  std::pair<std::string, std::string> MakeClusterAndNodepool(const std::string& name) {
    api_->set_token(Admin());
    auto c =
        api_->Post("/clusters", {{"kind", "Cluster"}, {"name", name}, {"spec", json::object()}});
    EXPECT_EQ(c.status, 201) << c.raw;
    std::string cid = c.body.value("id", "");
    auto np = api_->Post("/clusters/" + cid + "/nodepools",
                         {{"kind", "NodePool"}, {"name", name + "-np"}, {"spec", json::object()}});
    EXPECT_EQ(np.status, 201) << np.raw;
    api_->set_token("");
    return {cid, np.body.value("id", "")};
  }

  static inline auth::LocalIssuer* issuer_ = nullptr;
  static inline std::string* dir_ = nullptr;
  static inline ApiServer* api_ = nullptr;
};

const std::string kStatus =
    R"({"adapter":"validation","observed_generation":1,"observed_time":"2026-01-01T00:00:00Z",)"
    R"("conditions":[{"type":"Available","status":"True","reason":"Ok"},)"
    R"({"type":"Applied","status":"True","reason":"Ok"},{"type":"Health","status":"True","reason":"Ok"}]})";

TEST_F(AuthE2E, RoleMatrixOverEveryEndpoint) {
  auto [cid, npid] = MakeClusterAndNodepool("matrix");
  const std::string missing = "0190f0f0-0000-7000-8000-000000000000";
  const std::string cluster_body = R"({"kind":"Cluster","name":"m2","spec":{}})";
  const std::string np_body = R"({"kind":"NodePool","name":"m2-np","spec":{}})";
  struct Call {
    std::string method, path, body;
    bool reader, adapter;  // admin may do everything
  };
  const std::string c = "/clusters/" + cid;
  const std::string np = c + "/nodepools/" + npid;
  const std::vector<Call> calls = {
      {"GET", "/clusters", "", true, true},
      {"GET", c, "", true, true},
      {"GET", c + "/statuses", "", true, true},
      {"GET", c + "/nodepools", "", true, true},
      {"GET", np, "", true, true},
      {"GET", np + "/statuses", "", true, true},
      {"GET", "/nodepools", "", true, true},
      {"GET", "/nodepools/" + npid, "", true, true},
      {"GET", "/events", "", true, true},
      {"PUT", c + "/statuses", kStatus, false, true},
      {"POST", c + "/statuses", kStatus, false, true},
      {"PUT", c + "/status", kStatus, false, true},
      {"PUT", np + "/statuses", kStatus, false, true},
      {"POST", "/events", R"({"aggregate_type":"Cluster","aggregate_id":")" + cid + R"("})", false,
       true},
      {"POST", "/clusters", cluster_body, false, false},
      {"PATCH", c, R"({"labels":{"a":"b"}})", false, false},
      {"DELETE", "/clusters/" + missing, "", false, false},
      {"POST", "/clusters/" + missing + "/force-delete", R"({"reason":"x"})", false, false},
      {"POST", c + "/nodepools", np_body, false, false},
      {"PATCH", np, R"({"labels":{"a":"b"}})", false, false},
      {"DELETE", c + "/nodepools/" + missing, "", false, false},
  };
  struct Role {
    std::string name, token;
  };
  for (const Role& role :
       {Role{"reader", Reader()}, Role{"adapter", AdapterToken()}, Role{"admin", Admin()}}) {
    for (const auto& call : calls) {
      const bool allowed =
          role.name == "admin" || (role.name == "reader" ? call.reader : call.adapter);
      auto res = Send(call.method, call.path, "Bearer " + role.token, call.body);
      SCOPED_TRACE(role.name + " " + call.method + " " + call.path + " -> " +
                   std::to_string(res.status) + " " + res.body);
      EXPECT_NE(res.status, 401);
      if (allowed) {
        EXPECT_NE(res.status, 403);
        EXPECT_LT(res.status, 500);
      } else {
        ASSERT_EQ(res.status, 403);
        json problem = Body(res);
        EXPECT_EQ(problem.value("code", ""), "HYPERFLEET-AUZ-001");
        EXPECT_NE(problem.value("detail", "").find("role '" + role.name + "'"), std::string::npos);
        EXPECT_NE(res.Header("www-authenticate").find("insufficient_scope"), std::string::npos);
      }
    }
  }
  // Without a token: 401 AUT-001 everywhere but the open documents.
  for (const auto& call : calls) {
    auto res = Send(call.method, call.path, "", call.body);
    EXPECT_EQ(res.status, 401) << call.method << " " << call.path;
    EXPECT_EQ(Body(res).value("code", ""), "HYPERFLEET-AUT-001");
    EXPECT_EQ(res.Header("www-authenticate"), "Bearer realm=\"hyperfleet\"");
  }
  EXPECT_EQ(Send("GET", "/api/hyperfleet", "").status, 200);
  EXPECT_EQ(Send("GET", "/api/hyperfleet/v1/openapi", "").status, 200);
}

// Three forged reports used to reconcile a cluster: now an adapter token reports only under its
// own name, so one adapter cannot stand in for the others.
TEST_F(AuthE2E, AnAdapterReportsOnlyUnderItsOwnName) {
  auto [cid, npid] = MakeClusterAndNodepool("own-name");
  const std::string path = "/clusters/" + cid + "/statuses";
  auto report = [](const std::string& adapter) {
    json body = json::parse(kStatus);
    body["adapter"] = adapter;
    body["observed_time"] = FormatTime(Now());
    return body.dump();
  };
  const double forbidden_before =
      Metric("hyperfleet_api_auth_failures_total{reason=\"forbidden\"}");
  for (const std::string forged : {"dns", "placement", "rogue"}) {
    auto res = Send("PUT", path, "Bearer " + AdapterToken("validation"), report(forged));
    ASSERT_EQ(res.status, 403) << forged << ": " << res.body;
    EXPECT_EQ(res.Header("content-type"), "application/problem+json");
    json problem = Body(res);
    EXPECT_EQ(problem.value("code", ""), "HYPERFLEET-AUZ-001");
    EXPECT_EQ(problem.value("detail", ""),
              "the token of 'adapter@example.com' may report statuses only for adapter "
              "'validation', not '" +
                  forged + "'");
  }
  EXPECT_EQ(Metric("hyperfleet_api_auth_failures_total{reason=\"forbidden\"}"),
            forbidden_before + 3);
  // A token of the adapter role that names no adapter may not report at all.
  auto nameless = Send("PUT", path, "Bearer " + AdapterToken(""), report("validation"));
  ASSERT_EQ(nameless.status, 403) << nameless.body;
  EXPECT_NE(Body(nameless).value("detail", "").find("adapter_name_claim"), std::string::npos)
      << nameless.body;
  // A claim that is not an adapter name names none.
  auto junk_claim =
      Send("PUT", path, "Bearer " + AdapterToken("../../etc/passwd"), report("validation"));
  EXPECT_EQ(junk_claim.status, 403) << junk_claim.body;
  // No row was written, and reads are as before.
  auto rows = Send("GET", path, "Bearer " + AdapterToken("dns"));
  ASSERT_EQ(rows.status, 200) << rows.body;
  EXPECT_EQ(Body(rows).value("total", -1), 0) << rows.body;

  // Each adapter under its own name: accepted, and the cluster reconciles.
  for (const std::string own : {"validation", "dns", "placement"}) {
    auto res = Send("PUT", path, "Bearer " + AdapterToken(own), report(own));
    EXPECT_EQ(res.status, 201) << own << ": " << res.body;
  }
  auto cluster = Body(Send("GET", "/clusters/" + cid, "Bearer " + Reader()));
  bool reconciled = false;
  for (const auto& c : cluster["status"]["conditions"]) {
    if (c.value("type", "") == "Reconciled") reconciled = c.value("status", "") == "True";
  }
  EXPECT_TRUE(reconciled) << cluster.dump();

  // An admin may report under any name the kind accepts; other names are a 400 naming them.
  auto admin = Send("PUT", path, "Bearer " + Admin(), report("dns"));
  EXPECT_EQ(admin.status, 201) << admin.body;
  auto unknown = Send("PUT", path, "Bearer " + Admin(), report("rogue"));
  ASSERT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_EQ(Body(unknown).value("detail", ""),
            "adapter 'rogue' may not report on clusters: the adapters that may are "
            "[validation, dns, placement] (required) and [] (optional)");
  auto evil = Send("PUT", path, "Bearer " + Admin(), report("../../etc/passwd; rm -rf / #"));
  ASSERT_EQ(evil.status, 400) << evil.body;
  EXPECT_EQ(Body(evil).value("code", ""), "HYPERFLEET-VAL-000");
}

TEST_F(AuthE2E, RejectedTokensSayWhy) {
  const double expired_before = Metric("hyperfleet_api_auth_failures_total{reason=\"expired\"}");
  struct Case {
    std::string name, authorization, code;
  };
  auto other_key = auth::SigningKey::Generate("RS256");
  ASSERT_TRUE(other_key);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  json forged = {{"iss", issuer_->url()},
                 {"sub", "mallory"},
                 {"aud", "hyperfleet"},
                 {"exp", now + 600},
                 {"groups", {"platform-admins"}}};
  const std::vector<Case> cases = {
      {"expired", "Bearer " + Token("late@example.com", {}, -120s), "HYPERFLEET-AUT-003"},
      {"wrong audience",
       "Bearer " + issuer_->Mint("x", 600s, {{"email", "x@example.com"}}, "someone-else"),
       "HYPERFLEET-AUT-002"},
      {"signed by another key", "Bearer " + other_key->Sign(forged), "HYPERFLEET-AUT-002"},
      {"alg none",
       "Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + std::string("eyJzdWIiOiJtYWxsb3J5In0") + ".",
       "HYPERFLEET-AUT-002"},
      {"garbage", "Bearer not-a-token", "HYPERFLEET-AUT-002"},
      {"basic scheme", "Basic YWRtaW46YWRtaW4=", "HYPERFLEET-AUT-001"},
  };
  for (const auto& c : cases) {
    auto res = Send("GET", "/clusters", c.authorization);
    EXPECT_EQ(res.status, 401) << c.name;
    EXPECT_EQ(res.Header("content-type"), "application/problem+json") << c.name;
    json problem = Body(res);
    EXPECT_EQ(problem.value("code", ""), c.code) << c.name << ": " << res.body;
    EXPECT_FALSE(problem.value("detail", "").empty()) << c.name;
    EXPECT_NE(res.Header("www-authenticate").find("Bearer realm=\"hyperfleet\""), std::string::npos)
        << c.name;
    // The token itself is never echoed back.
    if (c.authorization.size() > 40) {
      EXPECT_EQ(res.body.find(c.authorization.substr(7, 30)), std::string::npos) << c.name;
    }
  }
  EXPECT_EQ(Metric("hyperfleet_api_auth_failures_total{reason=\"expired\"}"), expired_before + 1);
}

TEST_F(AuthE2E, TheVerifiedIdentityIsTheAuditIdentity) {
  auto res = Send("POST", "/clusters", "Bearer " + Admin(),
                  R"({"kind":"Cluster","name":"audited","spec":{}})");
  ASSERT_EQ(res.status, 201) << res.body;
  EXPECT_EQ(Body(res).value("created_by", ""), "admin@example.com");
  // With auth on, the identity header is ignored.
  HttpRequest req;
  req.method = "PATCH";
  req.url = api_->api() + "/clusters/" + Body(res).value("id", "");
  req.headers = {{"Authorization", "Bearer " + Admin()},
                 {"X-HyperFleet-Identity", "someone-else@example.com"},
                 {"Content-Type", "application/json"}};
  req.body = R"({"spec":{"v":2}})";
  auto patched = HttpClient().Send(req);
  ASSERT_TRUE(patched);
  EXPECT_EQ(Body(*patched).value("updated_by", ""), "admin@example.com") << patched->body;
  // The request log names the caller.
  EXPECT_NE(api_->process().Log().find("\"identity\":\"admin@example.com\""), std::string::npos);
}

TEST_F(AuthE2E, TheCliSendsTheTokenFileAndExplainsRefusals) {
  const std::string token_file = *dir_ + "/cli.token";
  std::ofstream(token_file) << Admin() << "\n";
  auto env = [&](std::map<std::string, std::string> extra) {
    extra["HYPERFLEET_API_URL"] = api_->base();
    return extra;
  };
  auto ok = RunHyperfleet({"clusters", "create", "--name", "from-cli"},
                          env({{"HYPERFLEET_TOKEN_FILE", token_file}}));
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  // No token: one line saying what to set.
  auto none = RunHyperfleet({"clusters", "list"}, env({}));
  EXPECT_EQ(none.exit_code, 1) << none.output;
  EXPECT_NE(none.output.find("HYPERFLEET_TOKEN_FILE"), std::string::npos) << none.output;
  EXPECT_EQ(std::count(none.output.begin(), none.output.end(), '\n'), 1) << none.output;
  // A missing token file is named.
  auto gone = RunHyperfleet({"clusters", "list"},
                            env({{"HYPERFLEET_TOKEN_FILE", *dir_ + "/no-such.token"}}));
  EXPECT_EQ(gone.exit_code, 1) << gone.output;
  EXPECT_NE(gone.output.find("no-such.token"), std::string::npos) << gone.output;
  // A reader may list but not create; the refusal names the role.
  auto list = RunHyperfleet({"clusters", "list"}, env({{"HYPERFLEET_TOKEN", Reader()}}));
  EXPECT_EQ(list.exit_code, 0) << list.output;
  auto denied = RunHyperfleet({"clusters", "create", "--name", "nope"},
                              env({{"HYPERFLEET_TOKEN", Reader()}}));
  EXPECT_EQ(denied.exit_code, 1) << denied.output;
  EXPECT_NE(denied.output.find("role 'reader'"), std::string::npos) << denied.output;
  // The token file is re-read when it changes (rotation): a reader token now refuses creates.
  std::ofstream(token_file) << Reader() << "\n";
  auto rotated = RunHyperfleet({"clusters", "create", "--name", "rotated"},
                               env({{"HYPERFLEET_TOKEN_FILE", token_file}}));
  EXPECT_EQ(rotated.exit_code, 1) << rotated.output;
}

// HTTPS with a test CA: clients that trust it get through, one trusting another CA is refused.
TEST(TlsE2E, TheApiServesHttpsToClientsThatTrustItsCa) {
  const std::string dir = MakeTempDir("hf-tls-e2e");
  const Pem ca = MakeCa("hyperfleet test CA");
  const Pem other = MakeCa("someone else's CA");
  const Pem server = IssueCert(ca, "hyperfleet-api", CertUse::kServer);
  std::ofstream(dir + "/ca.crt") << ca.cert;
  std::ofstream(dir + "/other.crt") << other.cert;
  std::ofstream(dir + "/tls.crt") << server.cert;
  std::ofstream(dir + "/tls.key") << server.key;
  ApiServer api("sqlite",
                {"--tls-cert-file", dir + "/tls.crt", "--tls-key-file", dir + "/tls.key"});
  ASSERT_TRUE(api.error().empty()) << api.error();
  ASSERT_EQ(api.base().rfind("https://", 0), 0u);
  api.set_ca_file(dir + "/ca.crt");
  EXPECT_EQ(api.Get("/clusters").status, 200);

  const std::map<std::string, std::string> env = {{"HYPERFLEET_API_URL", api.base()}};
  auto trusted = RunHyperfleet(
      {"clusters", "create", "--name", "over-tls", "--ca-file", dir + "/ca.crt"}, env);
  EXPECT_EQ(trusted.exit_code, 0) << trusted.output;
  auto wrong = RunHyperfleet({"clusters", "list", "--ca-file", dir + "/other.crt"}, env);
  EXPECT_EQ(wrong.exit_code, 1) << wrong.output;
  EXPECT_NE(wrong.output.find("could not be verified"), std::string::npos) << wrong.output;
  auto system_store = RunHyperfleet({"clusters", "list"}, env);  // a test CA is in no trust store
  EXPECT_EQ(system_store.exit_code, 1) << system_store.output;
  // Plain HTTP to the HTTPS port gets no answer, and the server keeps serving.
  HttpRequest plain;
  plain.url = "http://127.0.0.1:" + std::to_string(api.port()) + "/api/hyperfleet/v1/clusters";
  plain.timeout = 5s;
  auto refused = HttpClient().Send(plain);
  EXPECT_TRUE(!refused || refused->status != 200);
  EXPECT_EQ(api.Get("/clusters").status, 200);
}

TEST(AuthStartup, ApiRefusesAuthWithoutAnIssuer) {
  auto r = RunHyperfleet({"api", "--db", "sqlite::memory:"}, {});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("auth.issuers"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("HYPERFLEET_AUTH_ENABLED=false"), std::string::npos) << r.output;
  const std::string dir = MakeTempDir("hf-auth-bad");
  std::ofstream(dir + "/bad.yaml") << "auth:\n  issuers:\n    - issuer_url: https://idp\n"
                                      "      role: root\n";
  auto bad = RunHyperfleet({"api", "--config", dir + "/bad.yaml"}, {});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("role"), std::string::npos) << bad.output;
  std::ofstream(dir + "/pattern.yaml")
      << "auth:\n  issuers:\n    - issuer_url: https://idp\n"
         "      adapter_name_claim: sub\n      adapter_name_pattern: '^system:(.+'\n";
  auto pattern = RunHyperfleet({"api", "--config", dir + "/pattern.yaml"}, {});
  EXPECT_EQ(pattern.exit_code, 2) << pattern.output;
  EXPECT_NE(pattern.output.find("auth.issuers[0].adapter_name_pattern: '^system:(.+' is not a "
                                "valid regular expression"),
            std::string::npos)
      << pattern.output;
  EXPECT_NE(pattern.output.find("(issuer https://idp)"), std::string::npos) << pattern.output;
  auto names = RunHyperfleet({"api", "--db", "sqlite::memory:", "--auth-enabled", "false"},
                             {{"HYPERFLEET_CLUSTER_OPTIONAL_ADAPTERS", "audit,Bad_Name"}});
  EXPECT_EQ(names.exit_code, 2) << names.output;
  EXPECT_NE(names.output.find("cluster_optional_adapters: 'Bad_Name' is not an adapter name"),
            std::string::npos)
      << names.output;
}

}  // namespace
}  // namespace hf::testing
