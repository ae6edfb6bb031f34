#pragma once

#include <string>

namespace hf::testing {

// The value of an environment variable a test needs (e.g. HF_TEST_PG_DSN). When it is unset:
// under `make test` (HF_TEST_SERVICES=1) the test fails loudly; run by hand, it is skipped.
// Use through HF_REQUIRE_ENV.
std::string EnvOrEmpty(const char* name);
bool UnderTestServices();

// The source tree: $HF_SOURCE_DIR (set by ctest), else the directory the tests were built from.
std::string SourceDir();

// A fresh directory under $TMPDIR, removed by the caller (or left for inspection).
std::string MakeTempDir(const std::string& prefix);

}  // namespace hf::testing

// Declares `std::string var` from the environment or fails/skips the test as described above.
#define HF_REQUIRE_ENV(var, name)                                                          \
  std::string var = ::hf::testing::EnvOrEmpty(name);                                       \
  if (var.empty()) {                                                                       \
    if (::hf::testing::UnderTestServices()) {                                              \
      GTEST_FAIL() << name << " is not set although HF_TEST_SERVICES=1: the test service " \
                   << "scripts did not export it";                                         \
    }                                                                                      \
    GTEST_SKIP() << name << " is not set; run under `make test` or "                       \
                 << "scripts/with-test-services.sh";                                       \
  }
