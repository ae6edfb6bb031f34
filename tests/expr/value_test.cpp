// Values to and from JSON, and their type names.
#include "expr/value.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "eval_helpers.hpp"

namespace hf::expr {
namespace {

using nlohmann::json;
using testing::Eval;

json Json(const Value& v) {
  auto j = ToJson(v);
  EXPECT_TRUE(j) << j.error().message;
  return j ? *j : json();
}

TEST(Value, FromJsonMapsEachJsonType) {
  const json doc = json::parse(
      R"({"n": null, "b": true, "i": -3, "big": 18446744073709551615, "d": 1.5, "s": "x",
          "l": [1, "a"], "m": {"k": {}}})");
  const Value v = FromJson(doc);
  ASSERT_EQ(v.kind(), Value::Kind::kMap);
  const Map& m = *v.AsMap();
  EXPECT_EQ(m.Find("n")->kind(), Value::Kind::kNull);
  EXPECT_EQ(m.Find("b")->AsBool(), true);
  EXPECT_EQ(*m.Find("i")->AsInt(), -3);
  EXPECT_EQ(*m.Find("big")->AsUint(), 18446744073709551615u);
  EXPECT_EQ(*m.Find("d")->AsDouble(), 1.5);
  EXPECT_EQ(*m.Find("s")->AsString(), "x");
  EXPECT_EQ(m.Find("l")->AsList()->size(), 2u);
  EXPECT_TRUE(m.Find("m")->AsMap()->Find("k")->AsMap()->empty());
  EXPECT_EQ(Json(v), doc);
  // A positive integer that fits int64 is an int.
  EXPECT_EQ(FromJson(json(5u)).kind(), Value::Kind::kInt);
  EXPECT_EQ(Value("s").AsBool(), std::nullopt);
  EXPECT_EQ(Value(true).AsString(), nullptr);
}

TEST(Value, ToJsonRendersEveryType) {
  EXPECT_EQ(Json(Value(std::nan(""))), json("NaN"));
  EXPECT_EQ(Json(Value(HUGE_VAL)), json("Infinity"));
  EXPECT_EQ(Json(Value(-HUGE_VAL)), json("-Infinity"));
  EXPECT_EQ(Json(Value(2.5)), json(2.5));
  EXPECT_EQ(Json(Value(uint64_t{18446744073709551615u})), json(18446744073709551615u));
  EXPECT_EQ(Json(Value(Bytes{std::string("\xff\x00"
                                         "a",
                                         3)})),
            json("/wBh"));
  EXPECT_EQ(Json(Value(Timestamp{1234567890, 0})), json("2009-02-13T23:31:30Z"));
  EXPECT_EQ(Json(Value(Timestamp{1234567890, 500'000'000})), json("2009-02-13T23:31:30.5Z"));
  EXPECT_EQ(Json(Value(Timestamp{-1, 999'999'999})), json("1969-12-31T23:59:59.999999999Z"));
  EXPECT_EQ(Json(Value(Duration{1, 500'000'000})), json("1.5s"));
  EXPECT_EQ(Json(Value(Duration{0, -1})), json("-0.000000001s"));
  EXPECT_EQ(Json(Value(Duration{})), json("0s"));
  EXPECT_EQ(Json(Value(Type{"int"})), json("int"));
  EXPECT_EQ(Json(Value::OptionalOf(Value(int64_t{3}))), json(3));
  EXPECT_EQ(Json(Value::OptionalNone()), json(nullptr));
  EXPECT_EQ(Json(*Eval("{1: 'a', true: 'b', 2u: 'c'}")),
            json({{"1", "a"}, {"true", "b"}, {"2", "c"}}));
  auto clash = ToJson(*Eval("{1: 'a', '1': 'b'}"));
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().message, "map keys print alike as JSON: '1'");
}

TEST(Value, TypeNames) {
  const std::pair<const char*, const char*> cases[] = {{"1", "int"},
                                                       {"1u", "uint"},
                                                       {"1.0", "double"},
                                                       {"'a'", "string"},
                                                       {"b'a'", "bytes"},
                                                       {"true", "bool"},
                                                       {"null", "null_type"},
                                                       {"[]", "list"},
                                                       {"{}", "map"},
                                                       {"timestamp(0)", "timestamp"},
                                                       {"duration('1s')", "duration"},
                                                       {"int", "type"},
                                                       {"optional.of(1)", "int"},
                                                       {"optional.none()", "null_type"}};
  for (const auto& [source, name] : cases) {
    auto v = Eval(source);
    ASSERT_TRUE(v) << source;
    EXPECT_EQ(TypeName(*v), name) << source;
  }
}

TEST(Value, CopiesShareListsAndMaps) {
  const Value list = FromJson(json::array({1, 2, 3}));
  const Value copy = list;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(list.AsList(), copy.AsList());
}

}  // namespace
}  // namespace hf::expr
