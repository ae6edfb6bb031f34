#pragma once

#include <chrono>
#include <mutex>

namespace hf::log {

// Allows one log line per `interval` and counts the events it held back, for a warning that a
// client (or a failing syscall) could otherwise repeat thousands of times a second. Thread-safe.
class Throttle {
 public:
  explicit Throttle(std::chrono::milliseconds interval = std::chrono::seconds(1))
      : interval_(interval) {}

  // Records one event. True when a line may be written now; `suppressed` is then the number of
  // events held back since the previous line.
  bool Allow(int& suppressed) {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (last_ != std::chrono::steady_clock::time_point{} && now - last_ < interval_) {
      ++held_;
      return false;
    }
    last_ = now;
    suppressed = held_;
    held_ = 0;
    return true;
  }

 private:
  const std::chrono::milliseconds interval_;
  std::mutex mu_;  // guards the members below
  std::chrono::steady_clock::time_point last_{};
  int held_ = 0;
};

}  // namespace hf::log
