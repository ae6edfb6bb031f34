#include "common/json_writer.hpp"

#include <gtest/gtest.h>

#include <random>

namespace hf {
namespace {

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Written(std::string_view s) {
  std::string out;
  AppendJsonString(out, s);
  return out;
}

TEST(AppendJsonString, WritesWhatNlohmannWrites) {
  for (std::string s :
       {"", "plain", "quote \" and \\ backslash", "tab\tnew\nline\rcr\bbs\fff", "\x01\x1f\x7f",
        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x9a\x80", "bad \xff byte", "cut \xe2\x82",
        "surrogate \xed\xa0\x80", "overlong \xc0\xaf"}) {
    EXPECT_EQ(Written(s), Dump(s)) << s;
  }
  std::string nul("a\0b", 3);
  EXPECT_EQ(Written(nul), Dump(nul));
}

TEST(AppendJsonString, RandomBytesMatchNlohmann) {
  std::mt19937 rng(7);
  for (int n = 0; n < 20000; ++n) {
    // Lengths past several 8-byte words, with special bytes from dense to rare (the writer skips
    // plain words at a time).
    std::string s(rng() % 40, '\0');
    const unsigned rare = 2 + n % 40;
    for (char& c : s) c = static_cast<char>(rng() % rare == 0 ? rng() % 256 : 0x20 + rng() % 95);
    ASSERT_EQ(Written(s), Dump(s));
  }
}

TEST(JsonWriter, NestsWithCommasLikeNlohmann) {
  const nlohmann::json doc = {{"a", {1, "x", nlohmann::json::object(), nlohmann::json::array()}},
                              {"b", {{"c", true}, {"d", {{"e", -5}}}}},
                              {"f", {{"g", 1.5}, {"h", nullptr}}}};
  std::string out;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("a");
  w.BeginArray();
  w.Int(1);
  w.String("x");
  w.BeginObject();
  w.EndObject();
  w.BeginArray();
  w.EndArray();
  w.EndArray();
  w.Key("b");
  w.BeginObject();
  w.Key("c");
  w.Bool(true);
  w.Key("d");
  w.BeginObject();
  w.Key("e");
  w.Int(-5);
  w.EndObject();
  w.EndObject();
  w.Key("f");
  w.Value(doc["f"]);
  w.EndObject();
  EXPECT_EQ(out, Dump(doc));
}

}  // namespace
}  // namespace hf
