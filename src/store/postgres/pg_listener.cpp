#include "store/postgres/pg_listener.hpp"

#include <thread>
#include <utility>

namespace hf::store::detail {

PgListener::PgListener(std::string conninfo) : conninfo_(std::move(conninfo)) {}

PgListener::~PgListener() = default;

bool PgListener::Connect() {
  auto conn = PgConnection::Open(conninfo_);
  if (!conn || !(*conn)->Listen("hyperfleet_outbox")) return false;
  conn_ = std::move(*conn);
  return true;
}

bool PgListener::Wait(std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  std::unique_lock lock(mu_, deadline);
  if (!lock.owns_lock()) return false;
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    if (!conn_) {
      if (!Connect()) {
        std::this_thread::sleep_for(
            std::min<Clock::duration>(left, std::chrono::milliseconds(100)));
        continue;
      }
      if (std::exchange(lost_, false)) return true;
    }
    auto notified = conn_->WaitForNotification(left);
    if (notified && *notified) return true;
    if (notified) continue;
    conn_.reset();
    lost_ = true;
  }
}

}  // namespace hf::store::detail
