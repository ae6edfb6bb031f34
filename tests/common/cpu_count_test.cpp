#include "common/cpu_count.hpp"

#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace hf {
namespace {

TEST(CpusOfCpuMax, IsTheQuotaOverThePeriodRoundedUp) {
  EXPECT_EQ(CpusOfCpuMax("200000 100000\n"), 2u);
  EXPECT_EQ(CpusOfCpuMax("150000 100000"), 2u);  // 1.5 CPUs: two threads can use them
  EXPECT_EQ(CpusOfCpuMax("50000 100000"), 1u);
  EXPECT_EQ(CpusOfCpuMax("1 100000"), 1u);
  EXPECT_EQ(CpusOfCpuMax("6400000 100000"), 64u);
}

TEST(CpusOfCpuMax, NoLimitOrNotAQuotaIsNone) {
  EXPECT_EQ(CpusOfCpuMax("max 100000\n"), std::nullopt);
  EXPECT_EQ(CpusOfCpuMax(""), std::nullopt);
  EXPECT_EQ(CpusOfCpuMax("200000"), std::nullopt);
  EXPECT_EQ(CpusOfCpuMax("200000 0"), std::nullopt);
  EXPECT_EQ(CpusOfCpuMax("-5 100000"), std::nullopt);
  EXPECT_EQ(CpusOfCpuMax("2e5 100000"), std::nullopt);
}

TEST(CgroupCpus, IsTheTightestQuotaOfTheCgroupAndThoseAboveIt) {
  const std::string root = ::testing::TempDir() + "/cgroup-" + std::to_string(::getpid());
  std::filesystem::create_directories(root + "/kubepods/pod1/c1");
  const auto write = [&](const std::string& dir, const std::string& text) {
    std::ofstream(root + dir + "/cpu.max") << text;
  };
  EXPECT_EQ(CgroupCpus(root, "/kubepods/pod1/c1"), std::nullopt);  // no cpu.max anywhere
  write("", "max 100000\n");
  write("/kubepods/pod1/c1", "max 100000\n");
  EXPECT_EQ(CgroupCpus(root, "/kubepods/pod1/c1"), std::nullopt);  // no limit set
  write("/kubepods/pod1", "250000 100000\n");
  EXPECT_EQ(CgroupCpus(root, "/kubepods/pod1/c1"), 3u);  // the pod's limit, from its container
  write("/kubepods", "200000 100000\n");
  EXPECT_EQ(CgroupCpus(root, "/kubepods/pod1/c1"), 2u);  // a tighter one above
  write("/kubepods/pod1/c1", "100000 100000\n");
  EXPECT_EQ(CgroupCpus(root, "/kubepods/pod1/c1"), 1u);
  write("", "300000 100000\n");
  EXPECT_EQ(CgroupCpus(root, "/"), 3u);  // in a cgroup namespace: the root's own
  std::filesystem::remove_all(root);
}

TEST(CpuCount, IsAtMostTheCpusThisProcessMayRunOn) {
  cpu_set_t set;
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  EXPECT_GE(CpuCount(), 1u);
  EXPECT_LE(CpuCount(), static_cast<size_t>(CPU_COUNT(&set)));
}

}  // namespace
}  // namespace hf
