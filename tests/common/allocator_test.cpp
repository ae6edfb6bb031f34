// The allocator's tuning (src/common/allocator.hpp): freed memory leaves the process when asked,
// and, with jemalloc, the settings in allocator.cpp are the ones in force.
#include "common/allocator.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

#ifdef HF_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

namespace {

size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<size_t>(::sysconf(_SC_PAGESIZE));
}

TEST(Allocator, ReturnFreeMemoryHandsFreedPagesBack) {
  hf::TuneAllocator();
  const size_t before = ResidentBytes();
  // 64 MiB in blocks the size of a list's items: they stay in the allocator's arenas when freed.
  constexpr size_t kBlock = 32 << 10, kBlocks = 2048;
  std::vector<void*> blocks;
  for (size_t i = 0; i < kBlocks; ++i) {
    blocks.push_back(std::malloc(kBlock));
    std::memset(blocks.back(), 1, kBlock);
  }
  ASSERT_GT(ResidentBytes(), before + 48 * (1 << 20));
  for (void* b : blocks) std::free(b);
  hf::ReturnFreeMemory();
  EXPECT_LT(ResidentBytes(), before + 16 * (1 << 20));
}

#ifdef HF_JEMALLOC
TEST(Allocator, JemallocRunsWithOurSettings) {
  unsigned arenas = 0;
  size_t size = sizeof arenas;
  ASSERT_EQ(mallctl("opt.narenas", &arenas, &size, nullptr, 0), 0);
  EXPECT_EQ(arenas, 4u);
  bool background = false;
  size = sizeof background;
  ASSERT_EQ(mallctl("opt.background_thread", &background, &size, nullptr, 0), 0);
  EXPECT_TRUE(background);
  ssize_t muzzy = -1;
  size = sizeof muzzy;
  ASSERT_EQ(mallctl("opt.muzzy_decay_ms", &muzzy, &size, nullptr, 0), 0);
  EXPECT_EQ(muzzy, 0);
}
#endif

}  // namespace
