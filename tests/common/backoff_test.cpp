#include "common/backoff.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace hf {
namespace {

using std::chrono::milliseconds;

TEST(BackoffPolicy, DoublesFromBaseUpToMax) {
  const BackoffPolicy p{milliseconds(100), milliseconds(1000), 0.2};
  EXPECT_EQ(p.Nominal(0), milliseconds(100));
  EXPECT_EQ(p.Nominal(1), milliseconds(100));
  EXPECT_EQ(p.Nominal(2), milliseconds(200));
  EXPECT_EQ(p.Nominal(4), milliseconds(800));
  EXPECT_EQ(p.Nominal(5), milliseconds(1000));
  EXPECT_EQ(p.Nominal(1'000'000), milliseconds(1000));  // no overflow
}

TEST(BackoffPolicy, JitterSpansTheBandAndNeverPassesMax) {
  const BackoffPolicy p{milliseconds(1000), milliseconds(1100), 0.2};
  EXPECT_EQ(p.Delay(1, 0.0), milliseconds(800));
  EXPECT_EQ(p.Delay(1, 0.5), milliseconds(1000));
  EXPECT_EQ(p.Delay(1, 1.0), milliseconds(1100));  // 1200 capped
  Duration lo = milliseconds(10'000), hi{0};
  for (int i = 0; i < 2000; ++i) {
    const Duration d = p.Delay(1);
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_GE(lo, milliseconds(800));
  EXPECT_LT(lo, milliseconds(850));  // the random draw really spreads
  EXPECT_EQ(hi, milliseconds(1100));
}

TEST(BackoffPolicy, ZeroJitterIsExact) {
  const BackoffPolicy p{milliseconds(50), milliseconds(400), 0.0};
  for (int i = 0; i < 50; ++i) EXPECT_EQ(p.Delay(3), milliseconds(200));
}

TEST(StopSignal, WaitTimesOutWhenNotStopped) {
  StopSignal s;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(s.WaitFor(milliseconds(30)));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, milliseconds(30));
  EXPECT_FALSE(s.stopped());
}

TEST(StopSignal, StopWakesEveryWaiterAndSticks) {
  StopSignal s;
  std::vector<std::thread> waiters;
  std::atomic<int> woke{0};
  for (int i = 0; i < 4; ++i) {
    waiters.emplace_back([&] {
      if (s.WaitFor(std::chrono::hours(1))) ++woke;
    });
  }
  std::this_thread::sleep_for(milliseconds(20));
  s.Stop();
  for (auto& t : waiters) t.join();  // would hang for an hour if Stop did not wake them
  EXPECT_EQ(woke, 4);
  EXPECT_TRUE(s.stopped());
  EXPECT_TRUE(s.flag().load());
  EXPECT_TRUE(s.WaitFor(std::chrono::hours(1)));
  EXPECT_TRUE(s.Backoff(BackoffPolicy{}, 3));
}

}  // namespace
}  // namespace hf
