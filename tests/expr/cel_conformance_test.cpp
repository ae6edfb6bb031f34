// Runs the CEL specification's own conformance tests (tests/expr/testdata/cel-spec/, see its
// README) against the engine. Tests that need protobuf messages are skipped and counted; the
// tests expected to fail are listed with a reason in tests/expr/testdata/known_failures.txt.
// The test fails when a test outside that list fails, and when a listed test passes (so the list
// stays honest).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "common/base64.hpp"
#include "common/file.hpp"
#include "expr/detail/time_text.hpp"
#include "expr/expr.hpp"
#include "testing/env.hpp"

namespace hf::expr {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string DataDir() { return hf::testing::SourceDir() + "/tests/expr/testdata"; }

// A cel.expr.Value in JSON form → Value; nullopt for what a JSON-only engine cannot hold.
std::optional<Value> Convert(const json& v) {
  if (v.contains("int64_value"))
    return Value(int64_t(std::stoll(v["int64_value"].get<std::string>())));
  if (v.contains("uint64_value"))
    return Value(uint64_t(std::stoull(v["uint64_value"].get<std::string>())));
  if (v.contains("double_value")) {
    const json& d = v["double_value"];
    if (d.is_string()) {
      const auto s = d.get<std::string>();
      if (s == "NaN") return Value(std::nan(""));
      return Value(s.starts_with('-') ? -HUGE_VAL : HUGE_VAL);
    }
    return Value(d.get<double>());
  }
  if (v.contains("string_value")) return Value(v["string_value"].get<std::string>());
  if (v.contains("bytes_value")) {
    auto b = Base64Decode(v["bytes_value"].get<std::string>());
    if (!b) return std::nullopt;
    return Value(Bytes{*b});
  }
  if (v.contains("bool_value")) return Value(v["bool_value"].get<bool>());
  if (v.contains("null_value")) return Value();
  if (v.contains("type_value")) return Value(Type{v["type_value"].get<std::string>()});
  if (v.contains("list_value")) {
    List out;
    for (const json& item : v["list_value"].value("values", json::array())) {
      auto c = Convert(item);
      if (!c) return std::nullopt;
      out.push_back(*c);
    }
    return Value(std::move(out));
  }
  if (v.contains("map_value")) {
    Map out;
    for (const json& entry : v["map_value"].value("entries", json::array())) {
      auto k = Convert(entry["key"]);
      auto val = Convert(entry["value"]);
      if (!k || !val) return std::nullopt;
      out.Insert(*k, *val);
    }
    return Value(std::move(out));
  }
  if (v.contains("object_value")) {
    const json& o = v["object_value"];
    const auto type = o.value("@type", "");
    if (type.ends_with("google.protobuf.Duration")) {
      if (auto d = detail::ParseDuration(o.value("value", ""))) return Value(*d);
    }
    if (type.ends_with("google.protobuf.Timestamp")) {
      if (auto t = detail::ParseTimestamp(o.value("value", ""))) return Value(*t);
    }
    return std::nullopt;
  }
  return std::nullopt;
}

// Same type and value (NaN matches NaN), recursively.
bool Same(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  if (const double* x = a.AsDouble()) {
    const double y = *b.AsDouble();
    return (std::isnan(*x) && std::isnan(y)) || *x == y;
  }
  if (const List* la = a.AsList()) {
    const List& lb = *b.AsList();
    if (la->size() != lb.size()) return false;
    for (size_t i = 0; i < la->size(); ++i) {
      if (!Same((*la)[i], lb[i])) return false;
    }
    return true;
  }
  if (const Map* ma = a.AsMap()) {
    const Map& mb = *b.AsMap();
    if (ma->size() != mb.size()) return false;
    for (const auto& [k, entry] : *ma) {
      const Value* other = mb.Find(entry.first);
      if (!other || !Same(entry.second, *other)) return false;
    }
    return true;
  }
  if (a.kind() == Value::Kind::kOptional) {
    const Value* x = a.OptionalValue();
    const Value* y = b.OptionalValue();
    if (!x || !y) return !x && !y;
    return Same(*x, *y);
  }
  auto ja = ToJson(a);
  auto jb = ToJson(b);
  return ja && jb && *ja == *jb;
}

std::string Show(const Value& v) {
  auto j = ToJson(v);
  return TypeName(v) + " " + (j ? j->dump() : "<" + j.error().message + ">");
}

// The test's bindings (an empty object when it has none).
const json& Bindings(const json& t) {
  static const json kNone = json::object();
  const auto it = t.find("bindings");
  return it == t.end() ? kNone : *it;
}

// Why a test is outside a JSON-only engine, or empty when it is in scope.
std::string SkipReason(const json& t) {
  static const std::regex kMessage(R"((TestAllTypes|google\.protobuf\.\w+\s*\{))");
  if (t.contains("container")) return "container";
  if (t.value("check_only", false)) return "check_only";
  if (std::regex_search(t.value("expr", ""), kMessage)) return "protobuf message";
  if (t.contains("type_env")) {
    const std::string d = t["type_env"].dump();
    if (d.find("message_type") != std::string::npos &&
        d.find("google.protobuf.Duration") == std::string::npos &&
        d.find("google.protobuf.Timestamp") == std::string::npos)
      return "protobuf message";
  }
  if (t.contains("value") && !Convert(t["value"])) return "protobuf value";
  for (const auto& [name, b] : Bindings(t).items()) {
    if (!b.contains("value") || !Convert(b["value"])) return "protobuf binding";
  }
  return "";
}

// Runs one test: empty when it passes, else what went wrong.
std::string RunOne(const json& t) {
  Activation vars;
  for (const auto& [name, b] : Bindings(t).items()) vars.emplace(name, *Convert(b["value"]));
  auto program = Program::Compile(t["expr"].get<std::string>());
  const bool want_error = t.contains("eval_error");
  if (!program) return want_error ? "" : "compile error: " + program.error().message;
  auto value = program->Evaluate(vars);
  if (want_error) return value ? "expected an error, got " + Show(*value) : "";
  if (!value) return "error: " + value.error().message;
  const Value want = t.contains("value") ? *Convert(t["value"]) : Value(true);
  if (!Same(*value, want)) return "got " + Show(*value) + ", want " + Show(want);
  return "";
}

// "suite/section/test" → reason, from known_failures.txt ('#' comments, blank lines).
std::map<std::string, std::string> KnownFailures() {
  std::map<std::string, std::string> out;
  std::ifstream in(DataDir() + "/known_failures.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() == '#') continue;
    const size_t space = line.find_first_of(" \t");
    std::string name = line.substr(0, space);
    std::string reason = space == std::string::npos ? "" : line.substr(space);
    reason.erase(0, reason.find_first_not_of(" \t"));
    out.emplace(std::move(name), std::move(reason));
  }
  return out;
}

TEST(CelConformance, EverySuite) {
  const auto known = KnownFailures();
  std::set<std::string> seen;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(DataDir() + "/cel-spec")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty()) << "no suites under " << DataDir();
  std::ostringstream table;
  table << "| suite | passed | failed (known) | skipped |\n| --- | ---: | ---: | ---: |\n";
  int total_passed = 0, total_failed = 0, total_skipped = 0;
  for (const fs::path& file : files) {
    const auto text = ReadFile(file.string());
    ASSERT_TRUE(text) << file;
    const json suite = json::parse(*text);
    const std::string suite_name = suite.value("name", file.stem().string());
    int passed = 0, failed = 0, skipped = 0;
    for (const json& section : suite["section"]) {
      for (const json& t : section.value("test", json::array())) {
        const std::string id = suite_name + "/" + section["name"].get<std::string>() + "/" +
                               t["name"].get<std::string>();
        seen.insert(id);
        if (!SkipReason(t).empty()) {
          ++skipped;
          continue;
        }
        const std::string problem = RunOne(t);
        const bool listed = known.contains(id);
        if (problem.empty()) {
          ++passed;
          EXPECT_FALSE(listed) << id << " passes now: remove it from known_failures.txt";
        } else {
          ++failed;
          EXPECT_TRUE(listed) << id << ": " << t["expr"].get<std::string>() << " → " << problem;
        }
      }
    }
    table << "| " << suite_name << " | " << passed << " | " << failed << " | " << skipped << " |\n";
    total_passed += passed;
    total_failed += failed;
    total_skipped += skipped;
  }
  table << "| total | " << total_passed << " | " << total_failed << " | " << total_skipped
        << " |\n";
  std::cout << table.str();
  for (const auto& [id, reason] : known)
    EXPECT_TRUE(seen.contains(id)) << id << " in known_failures.txt names no test";
}

}  // namespace
}  // namespace hf::expr
