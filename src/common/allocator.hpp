#pragma once

// The memory allocator's tuning, in one place. Release builds link jemalloc (HF_JEMALLOC): on a
// list page of 100 resources it cost the API about a fifth less CPU than glibc's malloc, with a
// fifth lower p99 (issue #16). Sanitizer builds keep glibc's, which the sanitizers replace.

namespace hf {

// Called first thing in main: glibc's limits on how much freed memory it keeps (jemalloc reads
// its settings from `malloc_conf`, in allocator.cpp).
void TuneAllocator();

// Hands freed pages back to the system now, e.g. after a large answer was written, so the
// process's memory falls when a client leaves rather than on the allocator's own schedule.
void ReturnFreeMemory();

}  // namespace hf
