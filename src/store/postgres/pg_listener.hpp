#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <pqxx/connection>
#include <string>

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
  class Receiver;
  bool Connect();
  void Disconnect();

  const std::string conninfo_;
  std::timed_mutex mu_;  // guards the fields below; held by the waiting caller
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<Receiver> receiver_;
  bool lost_ = false;  // the connection broke; reconnecting counts as a wake-up
};

}  // namespace hf::store::detail
