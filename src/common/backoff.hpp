#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "common/time.hpp"

namespace hf {

// The one retry-spacing rule of the tree: the wait before retry `attempt` (1 = the first retry)
// is base·2^(attempt−1), capped at `max`, scaled by a uniform factor in [1 − jitter, 1 + jitter]
// and never above `max`. Every loop that retries (outbox rows, API calls, Kubernetes watches,
// broker redelivery and reconnects, adapter re-evaluation) uses it. A plain value; thread-safe.
struct BackoffPolicy {
  Duration base = std::chrono::milliseconds(200);
  Duration max = std::chrono::seconds(30);
  double jitter = 0.2;  // 0 ≤ jitter ≤ 1

  // base·2^(attempt−1) capped at max, without jitter (attempt < 1 counts as 1).
  [[nodiscard]] Duration Nominal(int attempt) const;
  // Nominal(attempt) with jitter applied, at most max.
  [[nodiscard]] Duration Delay(int attempt) const;
  // Nominal(attempt) scaled by 1 − jitter + 2·jitter·`unit` (unit in [0, 1]), at most max: the
  // deterministic form for callers that draw their own randomness (the ticker's decision).
  [[nodiscard]] Duration Delay(int attempt, double unit) const;
};

// A cancellable wait: any number of threads sleep in WaitFor until it times out or Stop() is
// called. Stop() is sticky and wakes every waiter at once. `flag()` is set by Stop(), for
// code that polls (HttpRequest::cancel). Thread-safe.
class StopSignal {
 public:
  void Stop();
  [[nodiscard]] bool stopped() const { return stopped_.load(); }
  [[nodiscard]] const std::atomic<bool>& flag() const { return stopped_; }
  // Sleeps for `d` or until Stop(). Returns true when stopped (also when already stopped).
  bool WaitFor(Duration d) const;
  // Sleeps for policy.Delay(attempt) or until Stop(). Returns true when stopped.
  bool Backoff(const BackoffPolicy& policy, int attempt) const {
    return WaitFor(policy.Delay(attempt));
  }

 private:
  std::atomic<bool> stopped_{false};
  mutable std::mutex mu_;  // guards nothing but the wait on cv_ (stopped_ is atomic)
  mutable std::condition_variable cv_;
};

}  // namespace hf
