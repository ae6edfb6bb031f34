// Small helpers shared by the deploy/ tests: where the repository is, reading its files, and
// finding a tool on PATH (tests/testing's Run() executes an absolute path).
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "common/file.hpp"
#include "testing/env.hpp"

namespace hf::deploy_test {

inline std::filesystem::path SourceDir() { return ::hf::testing::SourceDir(); }

inline std::string ReadFile(const std::filesystem::path& path) {
  return ::hf::ReadFile(path.string()).value_or("");
}

// The absolute path of `name` on $PATH, or "" when it is not there.
inline std::string FindOnPath(const std::string& name) {
  std::stringstream path(::hf::testing::EnvOrEmpty("PATH"));
  std::string dir;
  while (std::getline(path, dir, ':')) {
    if (dir.empty()) continue;
    auto candidate = std::filesystem::path(dir) / name;
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec) && access(candidate.c_str(), X_OK) == 0) {
      return candidate.string();
    }
  }
  return {};
}

// Single-quotes `s` for /bin/sh.
inline std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace hf::deploy_test
