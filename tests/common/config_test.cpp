#include "common/config.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>

#include "testing/env.hpp"

namespace hf::config {
namespace {

struct Sample {
  std::string db = "sqlite:default.db";
  int port = 8000;
  bool with_outbox = false;
  Duration poll{5000};
  std::vector<std::string> adapters{"validation"};
  std::map<std::string, std::string> selector;
};

void BindSample(Binder& b, Sample& s) {
  b.Bind("db", &s.db, "database URL");
  b.Bind("port", &s.port, "API port");
  b.Bind("with-outbox", &s.with_outbox, "embed the outbox");
  b.Bind("ticker.poll_interval", &s.poll, "poll interval");
  b.Bind("clusters.required_adapters", &s.adapters, "adapters");
  b.Bind("ticker.resource_selector", &s.selector, "labels");
}

std::string WriteFile(const std::string& text) {
  auto dir = testing::MakeTempDir("hf-config");
  auto path = dir + "/config.yaml";
  std::ofstream(path) << text;
  return path;
}

TEST(Config, DefaultsHoldWithoutSources) {
  Sample s;
  Binder b;
  BindSample(b, s);
  ASSERT_TRUE(b.Load("", {}, {}));
  EXPECT_EQ(s.port, 8000);
  EXPECT_EQ(s.poll, Duration{5000});
}

TEST(Config, FlagsBeatEnvBeatFile) {
  Sample s;
  Binder b;
  BindSample(b, s);
  auto path = WriteFile(
      "db: sqlite:file.db\nport: 1\nticker:\n  poll_interval: 2s\n  resource_selector: {shard: "
      "a}\nclusters:\n  required_adapters: [a, b]\n");
  std::map<std::string, std::string> env = {{"HYPERFLEET_PORT", "2"},
                                            {"HYPERFLEET_TICKER_POLL_INTERVAL", "250ms"}};
  auto r = b.Load(path, env, {{"port", "3"}});
  ASSERT_TRUE(r) << r.error().ToString();
  EXPECT_EQ(s.db, "sqlite:file.db");
  EXPECT_EQ(s.port, 3);
  EXPECT_EQ(s.poll, Duration{250});
  EXPECT_EQ(s.adapters, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(s.selector.at("shard"), "a");
}

TEST(Config, UnknownKeyIsAnErrorNamingIt) {
  Sample s;
  Binder b;
  BindSample(b, s);
  auto r = b.Load(WriteFile("ticker:\n  poll_intervall: 2s\n"), {}, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("'ticker.poll_intervall'"), std::string::npos)
      << r.error().message;
}

TEST(Config, BadValuesNameKeyAndSource) {
  Sample s;
  Binder b;
  BindSample(b, s);
  auto r = b.Load("", {{"HYPERFLEET_PORT", "eighty"}}, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("'port'"), std::string::npos);
  EXPECT_NE(r.error().message.find("HYPERFLEET_PORT"), std::string::npos);
  auto r2 = b.Load("", {}, {{"ticker.poll_interval", "soon"}});
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.error().message.find("duration"), std::string::npos);
}

TEST(Config, MissingOrBrokenFileIsAClearError) {
  Sample s;
  Binder b;
  BindSample(b, s);
  auto r = b.Load("/nonexistent/x.yaml", {}, {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("does not exist"), std::string::npos);
  auto r2 = b.Load(WriteFile("port: [1, 2\n"), {}, {});
  ASSERT_FALSE(r2);
  EXPECT_NE(r2.error().message.find("not valid YAML"), std::string::npos);
}

TEST(Config, CommaListsAndSelectorsFromEnv) {
  Sample s;
  Binder b;
  BindSample(b, s);
  ASSERT_TRUE(b.Load("",
                     {{"HYPERFLEET_CLUSTERS_REQUIRED_ADAPTERS", "x, y,z"},
                      {"HYPERFLEET_TICKER_RESOURCE_SELECTOR", "a=1,b=2"}},
                     {}));
  EXPECT_EQ(s.adapters, (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_EQ(s.selector.size(), 2u);
  EXPECT_FALSE(b.Load("", {{"HYPERFLEET_TICKER_RESOURCE_SELECTOR", "novalue"}}, {}));
}

}  // namespace
TEST(Config, StructuredValuesFromYamlOrFlowTextInEnv) {
  std::vector<std::string> names;
  auto parse = [&names](const YAML::Node& node) -> Result<void> {
    if (!node.IsSequence())
      return Fail(ErrorCode::kInvalidArgument, "auth.issuers: expected a list");
    names.clear();
    for (const auto& item : node) names.push_back(item["issuer_url"].as<std::string>());
    return Ok();
  };
  Binder b;
  b.Bind("auth.issuers", parse, "issuers");
  auto path =
      WriteFile("auth:\n  issuers:\n    - issuer_url: https://a\n    - issuer_url: https://b\n");
  ASSERT_TRUE(b.Load(path, {}, {}));
  EXPECT_EQ(names, (std::vector<std::string>{"https://a", "https://b"}));
  ASSERT_TRUE(b.Load("", {{"HYPERFLEET_AUTH_ISSUERS", "[{issuer_url: https://c}]"}}, {}));
  EXPECT_EQ(names, (std::vector<std::string>{"https://c"}));
  auto bad = b.Load("", {{"HYPERFLEET_AUTH_ISSUERS", "[{issuer_url: "}}, {});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("auth.issuers"), std::string::npos) << bad.error().message;
  auto not_list = b.Load("", {{"HYPERFLEET_AUTH_ISSUERS", "https://c"}}, {});
  ASSERT_FALSE(not_list);
  EXPECT_NE(not_list.error().message.find("expected a list"), std::string::npos);
}

}  // namespace hf::config
