// Params: each source, defaults, required, conversions, and the API source's paths and errors.
#include "adapter/param.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "adapter/adapter_config.hpp"
#include "testing/env.hpp"

namespace hf::adapter {
namespace {

using nlohmann::json;

const json kResource = {{"id", "c 1"},
                        {"kind", "Cluster"},
                        {"generation", 2},
                        {"spec", {{"region", "eu-west"}, {"nodes", 3}}}};
const json kEvent = {{"id", "c 1"}, {"kind", "Cluster"}, {"reason", "created"}};

class ParamTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = hf::testing::MakeTempDir("hf-param"); }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Parses `params_yaml` (the items of `params:`) in a minimal adapter config.
  std::vector<Param> Params(const std::string& params_yaml) {
    auto c = ParseAdapterConfig("name: dns\nparams:\n" + params_yaml + "job:\n  command: sh\n",
                                dir_, "test.yaml");
    EXPECT_TRUE(c) << c.error().message;
    return c ? c->params : std::vector<Param>{};
  }
  std::string ConfigError(const std::string& params_yaml) {
    auto c = ParseAdapterConfig("name: dns\nparams:\n" + params_yaml + "job:\n  command: sh\n",
                                dir_, "test.yaml");
    EXPECT_FALSE(c) << "accepted:\n" << params_yaml;
    return c ? "" : c.error().message;
  }
  // Resolves into variables holding resource and event; the API answers from `answers` (a
  // path not there: 404) and records the paths asked.
  Result<json> Resolve(const std::vector<Param>& params, json answers = json::object()) {
    expr::Activation vars = {{"resource", expr::FromJson(kResource)},
                             {"event", expr::FromJson(kEvent)}};
    ApiGet get = [&](const std::string& path) -> Result<json> {
      asked_.push_back(path);
      if (!answers.contains(path)) return Fail(ErrorCode::kNotFound, "no " + path);
      if (answers[path] == "unavailable") return Fail(ErrorCode::kUnavailable, "api down");
      if (answers[path] == "forbidden") return Fail(ErrorCode::kPermissionDenied, "no access");
      return answers[path];
    };
    HF_CHECK(ResolveParams(params, {kResource, kEvent, get}, vars));
    json out = json::object();
    for (const auto& p : params) out[p.name] = HF_TRY(expr::ToJson(vars.at(p.name)));
    return out;
  }

  std::string dir_;
  std::vector<std::string> asked_;
};

TEST_F(ParamTest, EachSource) {
  std::ofstream(dir_ + "/zone.txt") << "  example.com\n";
  ::setenv("HF_PARAM_TEST_NODES", "7", 1);
  auto out = Resolve(Params(R"(
  - {name: id, event: id}
  - {name: region, resource: spec.region}
  - {name: nodes, env: HF_PARAM_TEST_NODES, type: int}
  - {name: zone, file: zone.txt}
  - {name: fixed, value: [1, "two", true]}
  - name: summary
    expression: 'region + "/" + string(nodes + resource.spec.nodes) + "/" + zone'
)"));
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, json({{"id", "c 1"},
                        {"region", "eu-west"},
                        {"nodes", 7},
                        {"zone", "example.com"},
                        {"fixed", {1, "two", true}},
                        {"summary", "eu-west/10/example.com"}}));
}

TEST_F(ParamTest, DefaultsRequiredAndConversions) {
  ::unsetenv("HF_PARAM_TEST_UNSET");
  auto out = Resolve(Params(R"(
  - {name: a, resource: spec.missing, default: fallback}
  - {name: b, env: HF_PARAM_TEST_UNSET, required: false}
  - {name: c, file: nope.txt, default: 3}
)"));
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, json({{"a", "fallback"}, {"b", nullptr}, {"c", 3}}));

  auto missing = Resolve(Params("  - {name: a, resource: spec.missing}\n"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, "params.a: has no value and no default");

  ::setenv("HF_PARAM_TEST_FLAG", "maybe", 1);
  auto bad = Resolve(Params("  - {name: flag, env: HF_PARAM_TEST_FLAG, type: bool}\n"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message,
            "params.flag: 'maybe' is not a bool (true/false, yes/no, on/off, 1/0)");

  auto failing = Resolve(Params("  - {name: x, expression: 'resource.spec.nodes / 0'}\n"));
  ASSERT_FALSE(failing);
  EXPECT_TRUE(failing.error().message.starts_with("params.x: ")) << failing.error().message;
}

TEST_F(ParamTest, ApiPathsAreEncodedAndErrorsClassified) {
  const auto params = Params(R"(
  - {name: statuses, api: "/clusters/{{resource.id}}/statuses"}
  - {name: owner, api: "/clusters/{{statuses.owner}}", default: {}}
)");
  auto out =
      Resolve(params, {{"/clusters/c%201/statuses", {{"owner", "o-1"}, {"items", json::array()}}}});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(asked_, (std::vector<std::string>{"/clusters/c%201/statuses", "/clusters/o-1"}));
  EXPECT_EQ((*out)["owner"], json::object());  // 404: the default

  auto down = Resolve(params, {{"/clusters/c%201/statuses", "unavailable"}});
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, ErrorCode::kUnavailable);  // transient: the event is retried

  auto denied = Resolve(params, {{"/clusters/c%201/statuses", "forbidden"}});
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(denied.error().message, "params.statuses: GET /clusters/c%201/statuses: no access");

  // A substituted value cannot climb out of the collection: "/" is encoded, ".." refused.
  asked_.clear();
  auto sideways = Resolve(Params("  - {name: x, api: \"/clusters/{{'../events'}}\"}\n"));
  ASSERT_FALSE(sideways);
  EXPECT_EQ(asked_, std::vector<std::string>{"/clusters/..%2Fevents"});
  auto up = Resolve(Params("  - {name: x, api: \"/clusters/{{'..'}}\"}\n"));
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().message, "params.x: '/clusters/..' is not a path under the API");
}

TEST_F(ParamTest, ConfigErrorsNameTheParam) {
  EXPECT_EQ(ConfigError("  - {name: a}\n"),
            "test.yaml: params.a: needs exactly one source: event, resource, env, file, api, "
            "expression or value");
  EXPECT_EQ(ConfigError("  - {name: a, env: X, value: 1}\n"),
            "test.yaml: params.a: needs exactly one source: event, resource, env, file, api, "
            "expression or value");
  EXPECT_NE(ConfigError("  - {name: resource, value: 1}\n")
                .find("params[0].name: 'resource' is already a variable"),
            std::string::npos);
  EXPECT_NE(ConfigError("  - {name: job, value: 1}\n").find("'job' is already a variable"),
            std::string::npos);
  EXPECT_NE(ConfigError("  - {name: my-param, value: 1}\n").find("is not an identifier"),
            std::string::npos);
  EXPECT_EQ(ConfigError("  - {name: a, expression: 'b + 1'}\n  - {name: b, value: 1}\n"),
            "test.yaml: params.a.expression: unknown variable 'b' (known here: adapter, "
            "cluster_id, event, generation, resource)");
  EXPECT_TRUE(ConfigError("  - {name: a, expression: 'resource.spec.(x'}\n")
                  .starts_with("test.yaml: params.a.expression: column 15: "));
  EXPECT_NE(ConfigError("  - {name: a, api: 'clusters/x'}\n").find("must be a path under the API"),
            std::string::npos);
  EXPECT_NE(ConfigError("  - {name: a, api: '/clusters/{{nope}}'}\n")
                .find("params.a.api: unknown variable 'nope'"),
            std::string::npos);
  EXPECT_NE(ConfigError("  - {name: a, resource: spec.x, type: int}\n")
                .find("params.a.type: applies to env and file params only"),
            std::string::npos);
}

TEST(ParamReadsStatusTest, ApiAndStatusReadersOnly) {
  auto params = [](const std::string& yaml) {
    auto c = ParseAdapterConfig("name: dns\nparams:\n" + yaml + "job:\n  command: sh\n", "/tmp",
                                "t.yaml");
    EXPECT_TRUE(c) << c.error().message;
    return c ? c->params : std::vector<Param>{};
  };
  EXPECT_FALSE(ReadsStatus(params("  - {name: a, resource: spec.region}\n")));
  EXPECT_TRUE(ReadsStatus(params("  - {name: a, resource: status.conditions}\n")));
  EXPECT_TRUE(ReadsStatus(params("  - {name: a, api: /clusters}\n")));
  EXPECT_TRUE(ReadsStatus(params("  - {name: a, expression: 'has(resource.status)'}\n")));
  EXPECT_FALSE(ReadsStatus(params("  - {name: a, expression: 'resource.spec'}\n")));
}

}  // namespace
}  // namespace hf::adapter
