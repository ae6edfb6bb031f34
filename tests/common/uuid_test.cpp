#include "common/uuid.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <thread>

namespace hf {
namespace {

TEST(UuidV7, HasCanonicalVersion7Format) {
  std::regex re("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (int i = 0; i < 1000; ++i) {
    auto id = NewUuidV7();
    EXPECT_TRUE(std::regex_match(id, re)) << id;
    EXPECT_TRUE(IsUuid(id));
  }
}

TEST(UuidV7, EncodesTheTimestampInTheFirst48Bits) {
  UuidV7Generator gen;
  auto id = gen.NextAt(0x0123456789ABull);
  EXPECT_EQ(id.substr(0, 13), "01234567-89ab");
}

TEST(UuidV7, IsStrictlyIncreasingWithinOneMillisecond) {
  UuidV7Generator gen;
  std::string prev = gen.NextAt(1000);
  for (int i = 0; i < 10000; ++i) {  // more than the 12-bit counter holds: must roll over
    auto next = gen.NextAt(1000);
    ASSERT_LT(prev, next) << "at " << i;
    prev = next;
  }
}

TEST(UuidV7, NeverGoesBackwardsWhenTheClockDoes) {
  UuidV7Generator gen;
  auto a = gen.NextAt(5000);
  auto b = gen.NextAt(4000);
  EXPECT_LT(a, b);
}

TEST(UuidV7, IsUniqueAcrossThreads) {
  std::vector<std::string> ids[4];
  std::vector<std::thread> threads;
  for (auto& v : ids) {
    threads.emplace_back([&v] {
      for (int i = 0; i < 5000; ++i) v.push_back(NewUuidV7());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (auto& v : ids) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 20000u);
}

TEST(IsUuid, RejectsMalformedText) {
  EXPECT_FALSE(IsUuid(""));
  EXPECT_FALSE(IsUuid("not-a-uuid"));
  EXPECT_FALSE(IsUuid("0198c9e2-0000-7000-8000-00000000000"));    // 35 chars
  EXPECT_FALSE(IsUuid("0198c9e2-0000-7000-8000-00000000000g"));   // bad hex
  EXPECT_FALSE(IsUuid("0198c9e2x0000-7000-8000-000000000000"));   // bad dash
  EXPECT_TRUE(IsUuid("0198C9E2-0000-7000-8000-000000000000"));
}

}  // namespace
}  // namespace hf
