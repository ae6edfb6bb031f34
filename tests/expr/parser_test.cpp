// Parse errors: where (column, line) and what; deep nesting fails cleanly.
#include <gtest/gtest.h>

#include <random>

#include "expr/expr.hpp"

namespace hf::expr {
namespace {

std::string CompileError(std::string_view source) {
  auto p = Program::Compile(source);
  if (p) return "compiled";
  EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
  return p.error().message;
}

TEST(Parser, ErrorsNameTheColumn) {
  EXPECT_EQ(CompileError("1 +"), "column 4: unexpected end of expression");
  EXPECT_EQ(CompileError("a.b(1,"), "column 7: unexpected end of expression");
  EXPECT_EQ(CompileError("a = 1"), "column 3: unexpected '=' (use '==')");
  EXPECT_EQ(CompileError("[1, 2"), "column 6: expected ',', found end of expression");
  EXPECT_EQ(CompileError("1 # 2"), "column 3: unexpected character '#'");
  EXPECT_EQ(CompileError("'abc"), "column 1: unterminated string literal");
  EXPECT_EQ(CompileError("'\\q'"), "column 2: invalid escape sequence");
  EXPECT_EQ(CompileError("9223372036854775808"), "column 1: integer literal out of range");
  EXPECT_EQ(CompileError("x.if"), "compiled");  // reserved words may name fields
  EXPECT_EQ(CompileError("if"), "column 1: reserved word 'if'");
  EXPECT_EQ(CompileError("has(x)"), "column 5: has() needs a field selection, e.g. has(a.b)");
  EXPECT_EQ(CompileError("[1].map(1, 2)"), "column 9: map() needs a variable name first");
  EXPECT_EQ(CompileError("Msg{a: 1}"), "column 4: message construction is not supported");
  // Columns count characters, not bytes.
  EXPECT_EQ(CompileError("'é' +"), "column 6: unexpected end of expression");
}

TEST(Parser, MultiLineErrorsNameTheLine) {
  EXPECT_EQ(CompileError("a &&\n  b ||\n  )"), "line 3, column 3: unexpected ')'");
  EXPECT_EQ(CompileError("// a comment\n1 + "), "line 2, column 5: unexpected end of expression");
}

TEST(Parser, LiteralForms) {
  auto eval = [](std::string_view s) -> std::string {
    auto p = Program::Compile(s);
    if (!p) return "error: " + p.error().message;
    auto v = p->Evaluate({});
    if (!v) return "error: " + v.error().message;
    return TypeName(*v) + " " + ToJson(*v)->dump();
  };
  EXPECT_EQ(eval("0x1F"), "int 31");
  EXPECT_EQ(eval("0x1Fu"), "uint 31");
  EXPECT_EQ(eval("1e3"), "double 1000.0");
  EXPECT_EQ(eval(".5"), "double 0.5");
  EXPECT_EQ(eval("r'\\n'"), "string \"\\\\n\"");
  EXPECT_EQ(eval("'''a\nb'''"), "string \"a\\nb\"");
  EXPECT_EQ(eval("\"\\u00e9\\x41\\101\""), "string \"éAA\"");
  EXPECT_EQ(eval("b'\\xff\\377'"), "bytes \"//8=\"");
  EXPECT_EQ(eval("{'a-b': 1}.`a-b`"), "int 1");
  EXPECT_EQ(eval("[1, 2,]"), "list [1,2]");
  EXPECT_EQ(eval("{'a': 1,}"), "map {\"a\":1}");
  EXPECT_EQ(eval("true ? 'y' : 'n'"), "string \"y\"");
}

// Deeply nested sources of every kind fail with a parse error, never a crash.
TEST(Parser, DeepNestingIsAnErrorNotACrash) {
  for (const std::string open : {"(", "[", "{'a': ", "!", "-", "f(", "x.map(y, "}) {
    std::string source;
    for (int i = 0; i < 100'000; ++i) source += open;
    source += "1";
    EXPECT_EQ(CompileError(source).find("nested too deeply") != std::string::npos, true) << open;
  }
  std::string chain = "x";
  for (int i = 0; i < 100'000; ++i) chain += ".a";
  EXPECT_NE(CompileError(chain).find("nested too deeply"), std::string::npos);
  std::string sum = "1";
  for (int i = 0; i < 100'000; ++i) sum += " + 1";
  EXPECT_NE(CompileError(sum).find("nested too deeply"), std::string::npos);
  // Moderate nesting is fine.
  std::string ok;
  for (int i = 0; i < 50; ++i) ok += "(";
  ok += "1";
  for (int i = 0; i < 50; ++i) ok += ")";
  EXPECT_EQ(CompileError(ok), "compiled");
}

// Random token soup: every source either compiles or fails with a message; nothing crashes.
TEST(Parser, RandomSourcesNeverCrash) {
  static const char* kPieces[] = {"(",   ")",    "[",  "]",  "{",  "}",    ".",    "?",
                                  ":",   ",",    "!",  "-",  "+",  "*",    "==",   "&&",
                                  "||",  " in ", "x",  "1",  "1u", "2.5",  "'s'",  "b'b'",
                                  "has", "map",  "[?", ".?", "{?", "null", "true", "\n"};
  std::mt19937 rng(17);
  for (int n = 0; n < 20'000; ++n) {
    std::string source;
    const int len = int(rng() % 40);
    for (int i = 0; i < len; ++i) source += kPieces[rng() % std::size(kPieces)];
    auto p = Program::Compile(source);
    if (!p) {
      EXPECT_FALSE(p.error().message.empty()) << source;
      continue;
    }
    auto v = p->Evaluate({{"x", FromJson({{"a", 1}})}});
    if (!v) {
      EXPECT_FALSE(v.error().message.empty()) << source;
    }
  }
}

}  // namespace
}  // namespace hf::expr
