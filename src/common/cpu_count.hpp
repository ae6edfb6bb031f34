#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace hf {

// The CPUs this process may use: those it may run on (sched_getaffinity), capped by the CPU
// quota of its cgroup and of every cgroup above it (cgroup v2 `cpu.max`), rounded up; at least 1.
// A container limited to 2 CPUs on a 64-core node counts 2, where std::thread::hardware_concurrency
// says 64. Read once; the defaults of thread and handler counts follow it.
size_t CpuCount();

// The CPUs the cgroup v2 `path` (as /proc/self/cgroup names it, e.g. "/kubepods/pod1/c1") and
// every cgroup above it allow, by their `cpu.max` files under `root` (/sys/fs/cgroup); nullopt when
// none sets a limit.
std::optional<size_t> CgroupCpus(const std::string& root, std::string path);

// The CPUs a cgroup v2 `cpu.max` allows, rounded up: "200000 100000" → 2, "150000 100000" → 2;
// nullopt for no limit ("max 100000") or text that is not a quota.
std::optional<size_t> CpusOfCpuMax(std::string_view cpu_max);

}  // namespace hf
