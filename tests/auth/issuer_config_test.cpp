// The `auth.issuers` config list: a closed format whose errors name the item and the key.
#include "auth/issuer_config.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

namespace hf::auth {
namespace {

Result<std::vector<IssuerConfig>> Parse(const std::string& yaml) {
  return ParseIssuers(YAML::Load(yaml));
}

std::string ErrorOf(const std::string& yaml) {
  auto parsed = Parse(yaml);
  EXPECT_FALSE(parsed.has_value()) << yaml;
  if (parsed) return {};
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  return parsed.error().message;
}

TEST(IssuerConfig, ParsesEveryKey) {
  auto issuers = Parse(R"(
- issuer_url: https://idp.example.com
  jwks_url: https://idp.example.com/keys
  ca_file: /etc/ssl/idp-ca.pem
  audience: hyperfleet
  identity_claim: sub
  role: reader
  roles_claim: groups
  role_map: {platform-admins: admin, sre: reader, hyperfleet-adapters: adapter}
  adapter_name_claim: hyperfleet.io/adapter
- issuer_url: https://kubernetes.default.svc
  adapter_name_claim: sub
  adapter_name_pattern: '^system:serviceaccount:hyperfleet:(.+)-adapter$' 
  jwks_file: /etc/hyperfleet/jwks.json
)");
  ASSERT_TRUE(issuers.has_value()) << issuers.error().ToString();
  ASSERT_EQ(issuers->size(), 2u);
  const IssuerConfig& a = (*issuers)[0];
  EXPECT_EQ(a.issuer_url, "https://idp.example.com");
  EXPECT_EQ(a.jwks_url, "https://idp.example.com/keys");
  EXPECT_EQ(a.jwks_file, "");
  EXPECT_EQ(a.ca_file, "/etc/ssl/idp-ca.pem");
  EXPECT_EQ(a.audience, "hyperfleet");
  EXPECT_EQ(a.identity_claim, "sub");
  EXPECT_EQ(a.role, Role::kReader);
  EXPECT_EQ(a.roles_claim, "groups");
  const std::map<std::string, Role> want{{"platform-admins", Role::kAdmin},
                                         {"sre", Role::kReader},
                                         {"hyperfleet-adapters", Role::kAdapter}};
  EXPECT_EQ(a.role_map, want);
  EXPECT_EQ(a.adapter_name_claim, "hyperfleet.io/adapter");
  EXPECT_EQ(a.adapter_name_pattern, "");

  const IssuerConfig& b = (*issuers)[1];  // the defaults
  EXPECT_EQ(b.jwks_file, "/etc/hyperfleet/jwks.json");
  EXPECT_EQ(b.identity_claim, "email");
  EXPECT_EQ(b.role, Role::kAdmin);
  EXPECT_TRUE(b.audience.empty());
  EXPECT_TRUE(b.roles_claim.empty());
  EXPECT_TRUE(b.role_map.empty());
  EXPECT_EQ(b.adapter_name_claim, "sub");
  EXPECT_EQ(b.adapter_name_pattern, "^system:serviceaccount:hyperfleet:(.+)-adapter$");
}

TEST(IssuerConfig, AnAdapterNamePatternIsCheckedAtLoad) {
  EXPECT_EQ(ErrorOf("[{issuer_url: https://a, adapter_name_pattern: '(.+)'}]"),
            "auth.issuers[0].adapter_name_pattern: needs adapter_name_claim, the claim it applies "
            "to (issuer https://a)");
  EXPECT_EQ(ErrorOf("[{issuer_url: https://a, adapter_name_claim: sub, "
                    "adapter_name_pattern: '^sa:(.+'}]")
                .rfind("auth.issuers[0].adapter_name_pattern: '^sa:(.+' is not a valid regular "
                       "expression: ",
                       0),
            0u);
  EXPECT_NE(ErrorOf("[{issuer_url: https://a, adapter_name_claim: sub, "
                    "adapter_name_pattern: '^sa:(.+'}]")
                .find("(issuer https://a)"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("[{issuer_url: https://a, adapter_name_claim: sub, "
                    "adapter_name_pattern: '^sa:.+$'}]"),
            "auth.issuers[0].adapter_name_pattern: '^sa:.+$' must have exactly one capture group "
            "(the adapter name), has 0 (issuer https://a)");
  EXPECT_EQ(ErrorOf("[{issuer_url: https://a, adapter_name_claim: sub, "
                    "adapter_name_pattern: '^(sa):(.+)$'}]"),
            "auth.issuers[0].adapter_name_pattern: '^(sa):(.+)$' must have exactly one capture "
            "group (the adapter name), has 2 (issuer https://a)");
}

TEST(AdapterNameFrom, CutsTheNameAndChecksIt) {
  auto pattern = CompileAdapterNamePattern("^system:serviceaccount:hyperfleet:(.+)-adapter$");
  ASSERT_TRUE(pattern.has_value());
  const std::regex* p = &*pattern;
  EXPECT_EQ(AdapterNameFrom("system:serviceaccount:hyperfleet:dns-adapter", p), "dns");
  EXPECT_EQ(AdapterNameFrom("system:serviceaccount:hyperfleet:pull-secret-adapter", p),
            "pull-secret");
  EXPECT_EQ(AdapterNameFrom("system:serviceaccount:other:dns-adapter", p), "");
  EXPECT_EQ(AdapterNameFrom("system:serviceaccount:hyperfleet:hyperfleet", p), "");
  EXPECT_EQ(AdapterNameFrom("xsystem:serviceaccount:hyperfleet:dns-adapter", p), "");  // whole
  EXPECT_EQ(AdapterNameFrom("system:serviceaccount:hyperfleet:DNS-adapter", p), "");   // no name
  EXPECT_EQ(
      AdapterNameFrom("system:serviceaccount:hyperfleet:" + std::string(600, 'a') + "-adapter", p),
      "");
  EXPECT_EQ(AdapterNameFrom("dns", nullptr), "dns");  // a claim that holds the name itself
  EXPECT_EQ(AdapterNameFrom("../../etc/passwd", nullptr), "");
  EXPECT_EQ(AdapterNameFrom("", nullptr), "");
}

TEST(IssuerConfig, AbsentOrNullIsAnEmptyList) {
  EXPECT_TRUE(ParseIssuers(YAML::Node())->empty());
  EXPECT_TRUE(Parse("~")->empty());
}

TEST(IssuerConfig, ErrorsNameTheItemAndTheKey) {
  EXPECT_EQ(ErrorOf("{issuer_url: https://a}"), "auth.issuers: must be a list of issuers");
  EXPECT_EQ(ErrorOf("[https://a]").rfind("auth.issuers[0]: must be a map", 0), 0u);
  EXPECT_EQ(ErrorOf("[{issuer_url: https://a, jwks: https://a/keys}]")
                .rfind("auth.issuers[0]: unknown key 'jwks'", 0),
            0u);
  EXPECT_EQ(ErrorOf("[{issuer_url: https://a}, {audience: x}]"),
            "auth.issuers[1].issuer_url: is required");
  EXPECT_EQ(ErrorOf("[{issuer_url: idp.example.com}]"),
            "auth.issuers[0].issuer_url: must be an http(s) URL, got 'idp.example.com'");
  EXPECT_EQ(ErrorOf("[{issuer_url: 'https://'}]"),
            "auth.issuers[0].issuer_url: must be an http(s) URL, got 'https://'");
  EXPECT_EQ(ErrorOf("[{issuer_url: https://a, jwks_url: /keys}]"),
            "auth.issuers[0].jwks_url: must be an http(s) URL, got '/keys'");
  EXPECT_EQ(ErrorOf("[{issuer_url: https://a, jwks_url: https://a/k, jwks_file: /k.json}]"),
            "auth.issuers[0].jwks_file: set either jwks_file or jwks_url, not both");
  EXPECT_EQ(ErrorOf("[{issuer_url: https://a, role: root}]"),
            "auth.issuers[0].role: must be admin, reader or adapter, got 'root'");
  EXPECT_EQ(ErrorOf("[{issuer_url: https://a, role_map: {sre: boss}}]"),
            "auth.issuers[0].role_map.sre: must be admin, reader or adapter, got 'boss'");
  EXPECT_EQ(ErrorOf("[{issuer_url: https://a, role_map: [sre]}]"),
            "auth.issuers[0].role_map: must be a map of value: role");
  EXPECT_EQ(ErrorOf("[{issuer_url: https://a, identity_claim: ''}]"),
            "auth.issuers[0].identity_claim: must not be empty");
  EXPECT_EQ(ErrorOf("[{issuer_url: [https://a]}]"), "auth.issuers[0].issuer_url: must be a string");
}

}  // namespace
}  // namespace hf::auth
