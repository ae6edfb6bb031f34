#include "common/cpu_count.hpp"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <string>
#include <thread>

#include "common/file.hpp"

namespace hf {
namespace {

// The path of this process's cgroup v2 ("0::/path" in /proc/self/cgroup), or nullopt.
std::optional<std::string> OwnCgroup() {
  const auto text = ReadFile("/proc/self/cgroup");
  if (!text) return std::nullopt;
  const size_t at = text->starts_with("0::") ? 0 : text->find("\n0::");
  if (at == std::string::npos) return std::nullopt;
  const size_t start = at == 0 ? 3 : at + 4;
  const size_t end = text->find('\n', start);
  return text->substr(start, end == std::string::npos ? std::string::npos : end - start);
}

size_t Count() {
  size_t cpus = std::max<size_t>(1, std::thread::hardware_concurrency());
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    cpus = std::max(1, CPU_COUNT(&set));
  }
  if (const auto quota = CgroupCpus("/sys/fs/cgroup", OwnCgroup().value_or("/"))) {
    cpus = std::min(cpus, *quota);
  }
  return std::max<size_t>(1, cpus);
}

}  // namespace

size_t CpuCount() {
  static const size_t count = Count();
  return count;
}

std::optional<size_t> CgroupCpus(const std::string& root, std::string path) {
  // In a cgroup namespace (a container's) the path is "/": the root alone.
  std::optional<size_t> cpus;
  for (;;) {
    const auto cpu_max = ReadFile(root + (path == "/" ? std::string() : path) + "/cpu.max");
    if (const auto quota = cpu_max ? CpusOfCpuMax(*cpu_max) : std::nullopt) {
      cpus = std::min(cpus.value_or(*quota), *quota);
    }
    if (path.empty() || path == "/") return cpus;
    const size_t slash = path.rfind('/');
    path = slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
  }
}

std::optional<size_t> CpusOfCpuMax(std::string_view cpu_max) {
  while (!cpu_max.empty() && (cpu_max.back() == '\n' || cpu_max.back() == ' ')) {
    cpu_max.remove_suffix(1);
  }
  const size_t space = cpu_max.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const auto number = [](std::string_view s) -> std::optional<unsigned long long> {
    unsigned long long v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || v == 0) return std::nullopt;
    return v;
  };
  const auto quota = number(cpu_max.substr(0, space));  // "max": no limit
  const auto period = number(cpu_max.substr(space + 1));
  if (!quota || !period) return std::nullopt;
  return static_cast<size_t>(std::max<unsigned long long>(1, (*quota + *period - 1) / *period));
}

}  // namespace hf
