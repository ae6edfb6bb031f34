#include "common/backoff.hpp"

#include <algorithm>
#include <random>

namespace hf {

Duration BackoffPolicy::Nominal(int attempt) const {
  const int doublings = std::clamp(attempt - 1, 0, 40);
  const double ms =
      static_cast<double>(base.count()) * static_cast<double>(int64_t{1} << doublings);
  return Duration(static_cast<int64_t>(std::min(ms, static_cast<double>(max.count()))));
}

Duration BackoffPolicy::Delay(int attempt, double unit) const {
  const double factor = 1.0 - jitter + 2.0 * jitter * std::clamp(unit, 0.0, 1.0);
  const double ms = static_cast<double>(Nominal(attempt).count()) * factor;
  return Duration(static_cast<int64_t>(std::min(ms, static_cast<double>(max.count()))));
}

Duration BackoffPolicy::Delay(int attempt) const {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return Delay(attempt, std::uniform_real_distribution<double>(0.0, 1.0)(rng));
}

void StopSignal::Stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  cv_.notify_all();
}

bool StopSignal::WaitFor(Duration d) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, d, [&] { return stopped_.load(); });
}

}  // namespace hf
