// The logger writes any text, invalid UTF-8 included, and never throws.
#include "common/log.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "testing/env.hpp"

namespace hf::log {
namespace {

std::string ReadAll(const std::string& path) {
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  return text.str();
}

TEST(Log, InvalidUtf8IsWrittenAsReplacementCharacters) {
  for (const char* format : {"json", "text"}) {
    const std::string file = testing::MakeTempDir("hf-log") + "/log";
    SetOutputFile(file);
    ASSERT_TRUE(SetFormat(format));
    const Logger log{"test"};
    EXPECT_NO_THROW(log.Error("bad \xff msg", {{"traceparent", "\xff\xfe"},
                                               {"key \xc3", "v"},
                                               {"nested", {{"a", std::string("\xed\xa0\x80")}}}}));
    const std::string text = ReadAll(file);
    EXPECT_NE(text.find("bad \xef\xbf\xbd msg"), std::string::npos) << format << ": " << text;
    EXPECT_EQ(text.find('\xff'), std::string::npos) << format << ": " << text;
  }
  SetFormat("json");
}

}  // namespace
}  // namespace hf::log
