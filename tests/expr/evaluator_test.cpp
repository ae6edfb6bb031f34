// The evaluator's results and its error cases (what adapter authors will see).
#include <gtest/gtest.h>

#include "eval_helpers.hpp"

namespace hf::expr {
namespace {

using testing::Eval;
using testing::Show;

TEST(Evaluator, ArithmeticErrors) {
  EXPECT_EQ(Show("1 / 0"), "error: division by zero");
  EXPECT_EQ(Show("1 % 0"), "error: modulus by zero");
  EXPECT_EQ(Show("1u / 0u"), "error: division by zero");
  EXPECT_EQ(Show("9223372036854775807 + 1"), "error: int overflow");
  EXPECT_EQ(Show("-9223372036854775808 - 1"), "error: int overflow");
  EXPECT_EQ(Show("-9223372036854775808 / -1"), "error: int overflow");
  EXPECT_EQ(Show("4611686018427387904 * 2"), "error: int overflow");
  EXPECT_EQ(Show("0u - 1u"), "error: uint overflow");
  EXPECT_EQ(Show("18446744073709551615u + 1u"), "error: uint overflow");
  EXPECT_EQ(Show("1.0 / 0.0"), "double \"Infinity\"");
  EXPECT_EQ(Show("-9223372036854775808"), "int -9223372036854775808");
}

TEST(Evaluator, TypeMismatchIsNoSuchOverload) {
  EXPECT_EQ(Show("1 + 'a'"), "error: no such overload: int + string");
  EXPECT_EQ(Show("1 + 1u"), "error: no such overload: int + uint");
  EXPECT_EQ(Show("'a' < 1"), "error: no such overload: string < int");
  EXPECT_EQ(Show("!1"), "error: no such overload: !int");
  EXPECT_EQ(Show("size(true)"), "error: no such overload: size(bool)");
  EXPECT_EQ(Show("'abc'.contains(1)"), "error: no such overload: string.contains(int)");
  EXPECT_EQ(Show("x.f", {{"x", 1}}), "error: no such field 'f' on int");
  EXPECT_EQ(Show("1 ? 2 : 3"), "error: no such overload: int ? _ : _");
  EXPECT_EQ(Show("nope(1)"), "error: no such function: 'nope'");
}

TEST(Evaluator, MissingKeysAndVariables) {
  const nlohmann::json vars = {{"r", {{"spec", {{"replicas", 3}}}}}};
  EXPECT_EQ(Show("r.spec.replicas", vars), "int 3");
  EXPECT_EQ(Show("r.spec.foo", vars), "error: no such key: 'foo'");
  EXPECT_EQ(Show("r['spec']['foo']", vars), "error: no such key: 'foo'");
  EXPECT_EQ(Show("{1: 2}[3]"), "error: no such key: 3");
  EXPECT_EQ(Show("[1, 2][2]"), "error: index out of range: 2");
  EXPECT_EQ(Show("missing"), "error: no such variable: 'missing'");
  EXPECT_EQ(Show("has(r.spec.foo)", vars), "bool false");
  EXPECT_EQ(Show("has(r.spec.replicas)", vars), "bool true");
  EXPECT_EQ(Show("r.?spec.?foo.orValue(7)", vars), "int 7");
  EXPECT_EQ(Show("r.?spec.replicas.orValue(7)", vars), "int 3");
  EXPECT_EQ(Show("r[?'nope'].hasValue()", vars), "bool false");
}

TEST(Evaluator, LogicAbsorbsErrors) {
  EXPECT_EQ(Show("false && 1 / 0 == 1"), "bool false");
  EXPECT_EQ(Show("1 / 0 == 1 && false"), "bool false");
  EXPECT_EQ(Show("1 / 0 == 1 || true"), "bool true");
  EXPECT_EQ(Show("1 / 0 == 1 || false"), "error: division by zero");
  EXPECT_EQ(Show("[1, 0].exists(x, 1 / x == 1)"), "bool true");
  EXPECT_EQ(Show("[0, 1].all(x, 1 / x == 1)"), "error: division by zero");
  EXPECT_EQ(Show("[0, 1].all(x, x > 0 && 1 / x == 1)"), "bool false");
}

TEST(Evaluator, NumbersCompareAcrossTypes) {
  EXPECT_EQ(Show("1 == 1u && 1u == 1.0 && 1 < 1.5 && 2u > 1"), "bool true");
  EXPECT_EQ(Show("1 in [1.0, 2.0]"), "bool true");
  EXPECT_EQ(Show("{1: 'a'}[1u]"), "string \"a\"");
  EXPECT_EQ(Show("double('NaN') == double('NaN')"), "bool false");
  EXPECT_EQ(Show("[1, 'a'] == [1, 'a'] && {'a': [1]} == {'a': [1u]}"), "bool true");
}

TEST(Evaluator, CostLimitStopsRunawayExpressions) {
  const std::string nested =
      "[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, [1,2,3,4,5,6,7,8,9,10].map(c, "
      "[1,2,3,4,5,6,7,8,9,10].map(d, [1,2,3,4,5,6,7,8,9,10].map(e, a + b + c + d + e)))))";
  auto r = Eval(nested);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "cost limit exceeded");
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  // The same expression fits a larger budget; a small one stops small expressions too.
  EXPECT_TRUE(Eval(nested, nlohmann::json::object(), Limits{.max_cost = 100'000'000}));
  EXPECT_FALSE(Eval("[1, 2, 3].map(x, x * 2)", nlohmann::json::object(), Limits{.max_cost = 5}));
  // Strings doubled in a loop are charged by size.
  auto doubling = Eval(
      "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30]"
      ".map(i, 'x').map(s, s + s + s + s + s + s + s + s).size() > 0 && "
      "[0,1,2,3,4,5,6,7,8,9].exists(i, ['a'].map(s, s + s).size() == 2)",
      nlohmann::json::object(), Limits{.max_cost = 200});
  ASSERT_FALSE(doubling);
  EXPECT_EQ(doubling.error().message, "cost limit exceeded");
  // Comparing large lists from the variables is charged by their size.
  nlohmann::json big = nlohmann::json::array();
  for (int i = 0; i < 2000; ++i) big.push_back(i);
  auto quadratic = Eval("x.all(i, x == x && i in x)", {{"x", big}});
  ASSERT_FALSE(quadratic);
  EXPECT_EQ(quadratic.error().message, "cost limit exceeded");
}

TEST(Evaluator, MacrosAndVariables) {
  auto program = Program::Compile("resource.items.filter(i, i.ready).map(i, i.name) + [params.x]");
  ASSERT_TRUE(program) << program.error().message;
  EXPECT_EQ(program->variables(), (std::set<std::string>{"params", "resource"}));
  EXPECT_EQ(Show("[1, 2, 3, 4].map(x, x % 2 == 0, x * 10)"), "list [20,40]");
  EXPECT_EQ(Show("[1, 2, 3].exists_one(x, x > 2)"), "bool true");
  EXPECT_EQ(Show("{'a': 1, 'b': 2}.all(k, k.size() == 1)"), "bool true");
  EXPECT_EQ(Show("[1, 2].map(x, [3, 4].map(y, x * y))"), "list [[3,4],[6,8]]");
  EXPECT_EQ(Show("x.map(x, x + 1)", {{"x", {1, 2}}}), "list [2,3]");
}

TEST(Evaluator, QualifiedNamesPreferTheLongestVariable) {
  EXPECT_EQ(Show("a.b.c", {{"a.b", {{"c", "long"}}}, {"a", {{"b", {{"c", "short"}}}}}}),
            "string \"long\"");
  EXPECT_EQ(Show("google.protobuf.Timestamp == type(timestamp(0))"), "bool true");
}

TEST(Evaluator, ProgramsAreReusable) {
  auto program = Program::Compile("x * 2");
  ASSERT_TRUE(program);
  for (int i = 0; i < 3; ++i) {
    auto v = program->Evaluate({{"x", Value(int64_t{i})}});
    ASSERT_TRUE(v);
    EXPECT_EQ(*v->AsInt(), i * 2);
  }
  EXPECT_EQ(program->source(), "x * 2");
}

}  // namespace
}  // namespace hf::expr
