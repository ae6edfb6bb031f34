#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "store/postgres/pg_connection.hpp"

namespace hf::store::detail {

// LISTENs on the "hyperfleet_outbox" channel on a dedicated connection, opened on first use and
// re-opened when it breaks. Thread-safe: one caller waits on the connection at a time.
class PgListener {
 public:
  explicit PgListener(std::string conninfo);
  ~PgListener();

  // True when a notification arrived within `timeout`, or when the connection had to be
  // re-established (notifications may have been missed meanwhile); false on timeout.
  bool Wait(std::chrono::milliseconds timeout);

 private:
  bool Connect();

  const std::string conninfo_;
  std::timed_mutex mu_;  // guards the fields below; held by the waiting caller
  std::unique_ptr<PgConnection> conn_;
  bool lost_ = false;  // the connection broke; reconnecting counts as a wake-up
};

}  // namespace hf::store::detail
