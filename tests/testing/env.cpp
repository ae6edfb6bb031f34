#include "testing/env.hpp"

#include <cstdlib>
#include <filesystem>
#include <random>

namespace hf::testing {

std::string EnvOrEmpty(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

bool UnderTestServices() { return EnvOrEmpty("HF_TEST_SERVICES") == "1"; }

std::string SourceDir() {
  std::string dir = EnvOrEmpty("HF_SOURCE_DIR");
  return dir.empty() ? std::string(HF_SOURCE_DIR) : dir;
}

std::string MakeTempDir(const std::string& prefix) {
  std::string base = EnvOrEmpty("TMPDIR");
  if (base.empty()) base = "/tmp";
  std::random_device rd;
  for (int i = 0; i < 100; ++i) {
    auto path = std::filesystem::path(base) / (prefix + "-" + std::to_string(rd()));
    if (std::filesystem::create_directory(path)) return path.string();
  }
  return {};
}

}  // namespace hf::testing
