// `hyperfleet expr eval`: the output contract ({"type", "value"} and exit 0; {"error"} and exit
// 1; a parse or usage error on stderr and exit 2), run on the real binary.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "testing/env.hpp"
#include "testing/process.hpp"

namespace hf::testing {
namespace {

using nlohmann::json;

// Runs `expr eval` and parses its one line of output.
json EvalJson(std::vector<std::string> args, int want_exit = 0) {
  args.insert(args.begin(), {"expr", "eval"});
  auto r = RunHyperfleet(args);
  EXPECT_EQ(r.exit_code, want_exit) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  return json::parse(r.output, nullptr, false);
}

TEST(ExprCli, PrintsTypeAndValue) {
  EXPECT_EQ(EvalJson({"1 + 2"}), json({{"type", "int"}, {"value", 3}}));
  EXPECT_EQ(EvalJson({"18446744073709551615u"}),
            json({{"type", "uint"}, {"value", 18446744073709551615u}}));
  EXPECT_EQ(EvalJson({"double('NaN')"}), json({{"type", "double"}, {"value", "NaN"}}));
  EXPECT_EQ(EvalJson({"-1.0 / 0.0"}), json({{"type", "double"}, {"value", "-Infinity"}}));
  EXPECT_EQ(EvalJson({"b'\\x00\\xff'"}), json({{"type", "bytes"}, {"value", "AP8="}}));
  EXPECT_EQ(EvalJson({"timestamp('2026-01-02T03:04:05Z') + duration('1.5s')"}),
            json({{"type", "timestamp"}, {"value", "2026-01-02T03:04:06.5Z"}}));
  EXPECT_EQ(EvalJson({"duration('1m30s')"}), json({{"type", "duration"}, {"value", "90s"}}));
  EXPECT_EQ(EvalJson({"optional.of('x')"}), json({{"type", "string"}, {"value", "x"}}));
  EXPECT_EQ(EvalJson({"optional.none()"}), json({{"type", "null_type"}, {"value", nullptr}}));
  EXPECT_EQ(EvalJson({"type(1)"}), json({{"type", "type"}, {"value", "int"}}));
  EXPECT_EQ(EvalJson({"{'a': [1, 2.5, true, null]}"}),
            json({{"type", "map"}, {"value", {{"a", {1, 2.5, true, nullptr}}}}}));
}

TEST(ExprCli, VariablesFromJsonOrFile) {
  EXPECT_EQ(EvalJson({"r.spec.replicas * 2", "--vars", R"({"r": {"spec": {"replicas": 3}}})"}),
            json({{"type", "int"}, {"value", 6}}));
  const std::string dir = MakeTempDir("expr-cli");
  const std::string file = dir + "/vars.json";
  std::ofstream(file) << R"({"names": ["a", "b"], "big": 18446744073709551615})";
  EXPECT_EQ(EvalJson({"names.map(n, n.upperAscii()).join(',')", "--vars", "@" + file}),
            json({{"type", "string"}, {"value", "A,B"}}));
  EXPECT_EQ(EvalJson({"--vars", "@" + file, "--", "-big"}, 1),
            json({{"error", "no such overload: -uint"}}));
  EXPECT_EQ(EvalJson({"big", "--vars", "@" + file}),
            json({{"type", "uint"}, {"value", 18446744073709551615u}}));
  std::filesystem::remove_all(dir);
}

TEST(ExprCli, EvaluationErrorsExitOne) {
  EXPECT_EQ(EvalJson({"1 / 0"}, 1), json({{"error", "division by zero"}}));
  EXPECT_EQ(EvalJson({"r.missing", "--vars", R"({"r": {}})"}, 1),
            json({{"error", "no such key: 'missing'"}}));
  EXPECT_EQ(EvalJson({"1 + 'a'"}, 1), json({{"error", "no such overload: int + string"}}));
}

TEST(ExprCli, ParseAndUsageErrorsGoToStderrWithExitTwo) {
  const std::string bin = HyperfleetBinary();
  for (const auto& args : std::vector<std::vector<std::string>>{{"1 +"},
                                                                {"a &&\n b)"},
                                                                {"x", "--vars", "[1]"},
                                                                {"x", "--vars", "{bad"},
                                                                {"x", "--vars", "@/no/such/file"},
                                                                {}}) {
    std::vector<std::string> argv = {bin, "expr", "eval"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto both = hf::testing::Run(argv);
    EXPECT_EQ(both.exit_code, 2) << both.output;
    EXPECT_EQ(std::count(both.output.begin(), both.output.end(), '\n'), 1) << both.output;
    EXPECT_TRUE(both.output.starts_with("hyperfleet")) << both.output;
    // Nothing of it on stdout.
    std::vector<std::string> quiet = {"/bin/sh", "-c", "\"$@\" 2>/dev/null", "sh"};
    quiet.insert(quiet.end(), argv.begin(), argv.end());
    auto out = hf::testing::Run(quiet);
    EXPECT_EQ(out.exit_code, 2);
    EXPECT_EQ(out.output, "");
  }
  auto parse = RunHyperfleet({"expr", "eval", "1 +"});
  EXPECT_EQ(parse.output, "hyperfleet expr eval: column 4: unexpected end of expression\n");
  auto multi = RunHyperfleet({"expr", "eval", "a &&\n b)"});
  EXPECT_EQ(multi.output, "hyperfleet expr eval: line 2, column 3: unexpected ')'\n");
}

}  // namespace
}  // namespace hf::testing
