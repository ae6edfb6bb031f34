#include "common/file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "testing/env.hpp"

namespace hf {
namespace {

unsigned Mode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

TEST(WriteNewFile, CreatesTheFileWithItsTextAndMode) {
  const std::string path = testing::MakeTempDir("hf-file") + "/state.json";
  ASSERT_TRUE(WriteNewFile(path, "{\"phase\":\"pending\"}", 0600));
  EXPECT_EQ(ReadFile(path), "{\"phase\":\"pending\"}");
  EXPECT_EQ(Mode(path), 0600u);
}

TEST(WriteNewFile, RefusesAnExistingFileAndLeavesItAlone) {
  const std::string path = testing::MakeTempDir("hf-file") + "/state.json";
  ASSERT_TRUE(WriteNewFile(path, "first"));
  auto second = WriteNewFile(path, "second");
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(second.error().detail.find(path), std::string::npos) << second.error().detail;
  EXPECT_EQ(ReadFile(path), "first");  // not truncated, not removed
}

TEST(WriteNewFile, NamesThePathWhenItsDirectoryIsMissing) {
  const std::string path = testing::MakeTempDir("hf-file") + "/missing/state.json";
  auto written = WriteNewFile(path, "x");
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().message, "cannot write " + path);
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(WriteFileAtomically, ReplacesTheContentAndLeavesNoTemporaryFile) {
  const std::string dir = testing::MakeTempDir("hf-file");
  const std::string path = dir + "/state.json";
  ASSERT_TRUE(WriteFileAtomically(path, "old"));
  ASSERT_TRUE(WriteFileAtomically(path, "new", 0600));
  EXPECT_EQ(ReadFile(path), "new");
  EXPECT_EQ(Mode(path), 0600u);
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename(), "state.json");
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

TEST(WriteFileAtomically, NamesTheTargetWhenItCannotWrite) {
  const std::string path = testing::MakeTempDir("hf-file") + "/missing/state.json";
  auto written = WriteFileAtomically(path, "x");
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().message, "cannot write " + path);
}

}  // namespace
}  // namespace hf
