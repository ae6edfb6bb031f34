#include "common/base64.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hf {
namespace {

TEST(Base64, RoundTripsAndMatchesKnownValues) {
  EXPECT_EQ(Base64Encode("hello"), "aGVsbG8=");
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("ab"), "YWI=");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(Base64Decode("aGVsbG8="), "hello");
  EXPECT_EQ(Base64Decode("aGVsbG8"), "hello");
  EXPECT_EQ(Base64Decode("-_8"), "\xfb\xff");
  EXPECT_FALSE(Base64Decode("a!b=").has_value());
  EXPECT_FALSE(Base64Decode("aGVsb").has_value());  // a lone 6-bit digit is no byte
  // Line breaks, as in PEM blobs pasted into a kubeconfig, are skipped.
  EXPECT_EQ(Base64Decode("aGVs\nbG8=\n"), "hello");
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(Base64Decode(Base64Encode(all)), all);
  EXPECT_EQ(Base64Decode(Base64UrlEncode(all)), all);
}

}  // namespace
}  // namespace hf
