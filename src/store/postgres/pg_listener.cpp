#include "store/postgres/pg_listener.hpp"

#include <pqxx/notification>
#include <thread>
#include <utility>

#include "store/postgres/pg_connection.hpp"

namespace hf::store::detail {

class PgListener::Receiver final : public pqxx::notification_receiver {
 public:
  explicit Receiver(pqxx::connection& conn) : notification_receiver(conn, "hyperfleet_outbox") {}
  void operator()(const std::string& /*payload*/, int /*backend_pid*/) override {}
};

PgListener::PgListener(std::string conninfo) : conninfo_(std::move(conninfo)) {}

PgListener::~PgListener() { Disconnect(); }

bool PgListener::Connect() {
  try {
    conn_ = std::make_unique<pqxx::connection>(conninfo_);
    receiver_ = std::make_unique<Receiver>(*conn_);  // sends LISTEN
    return true;
  } catch (...) {
    Disconnect();
    return false;
  }
}

void PgListener::Disconnect() {
  receiver_.reset();
  conn_.reset();
}

bool PgListener::Wait(std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  std::unique_lock lock(mu_, deadline);
  if (!lock.owns_lock()) return false;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    if (!conn_) {
      if (!Connect()) {
        std::this_thread::sleep_for(
            std::min<Clock::duration>(left, std::chrono::milliseconds(100)));
        continue;
      }
      if (std::exchange(lost_, false)) return true;
    }
    try {
      if (conn_->await_notification(left.count() / 1'000'000, left.count() % 1'000'000) > 0) {
        return true;
      }
      // Input left unconsumed after a wait means EOF: pqxx 6.4 does not report that as an error.
      if (conn_->is_open() && !SocketHasInput(conn_->sock())) continue;
    } catch (...) {
    }
    Disconnect();
    lost_ = true;
  }
}

}  // namespace hf::store::detail
