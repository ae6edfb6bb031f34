#include "common/allocator.hpp"

#include <string>

#ifdef HF_JEMALLOC
#include <jemalloc/jemalloc.h>
#else
#include <malloc.h>
#endif

#ifdef HF_JEMALLOC
// Read by jemalloc at its first allocation. Four arenas, not four per core: the API's many
// threads would each keep freed memory of their own. Freed pages go back to the system after
// jemalloc's default ten seconds (a decay of one second cost a list page a tenth more CPU, its
// pages faulted in again), released outright rather than lazily (muzzy_decay_ms:0), so RSS shows
// it, by a background thread, so an idle process shrinks too. ReturnFreeMemory does it at once.
extern "C" const char* malloc_conf;
const char* malloc_conf = "narenas:4,background_thread:true,muzzy_decay_ms:0";
#endif

namespace hf {

void TuneAllocator() {
#ifndef HF_JEMALLOC
  // glibc serves a large allocation (a list answer of tens of MB) with mmap, unmapped on free,
  // but after such a free it raises its mmap threshold (up to 32 MiB), so the next large answers
  // come from the heap and stay in the process after they are freed. A fixed threshold keeps
  // large buffers in mmap; fewer arenas (default 8 per core) keep the many server threads from
  // each holding freed memory of their own. The threshold is 1 MiB, not glibc's initial 128 KiB:
  // a page of 100 resources (~150 KB) in mmap cost its page faults and an unmap with a TLB
  // shoot-down on every list. The heap keeps up to 2 MiB free at its top per arena.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  mallopt(M_TRIM_THRESHOLD, 2 << 20);
  mallopt(M_ARENA_MAX, 4);
#endif
}

void ReturnFreeMemory() {
#ifdef HF_JEMALLOC
  static const std::string every_arena = "arena." + std::to_string(MALLCTL_ARENAS_ALL) + ".purge";
  (void)mallctl(every_arena.c_str(), nullptr, nullptr, nullptr, 0);
#else
  malloc_trim(0);
#endif
}

}  // namespace hf
