#pragma once

#include <memory>
#include <pqxx/connection>
#include <string>
#include <unordered_set>

#include "store/detail/sql_session.hpp"

namespace hf::store::detail {

// The Error for the exception being handled (call only inside a catch block); never throws.
// SQLSTATE 23505 → AlreadyExists; 40001, 40P01, 55P03 → Conflict; 57014 → DeadlineExceeded;
// connection loss, 08xxx, 57P01-57P03 → Unavailable; anything else → Internal with the database's
// message in `detail`.
Error CurrentPgError();

// True when `fd` has input (or EOF, or an error) pending right now; does not block.
bool SocketHasInput(int fd);

// One PostgreSQL connection and the statements prepared on it. Used by one thread at a time.
class PgConnection {
 public:
  // Connects with `conninfo`; Unavailable if the server cannot be reached.
  static Result<std::unique_ptr<PgConnection>> Open(const std::string& conninfo);

  pqxx::connection& raw() { return conn_; }
  // Declares `statement` on this connection on its first use; pqxx prepares it on the server
  // with the first execution. Throws like pqxx.
  void Prepare(const Statement& statement);
  // False when an idle connection should not be reused: it is closed, or the server sent
  // something (as it does when it shuts down). No round trip: one poll() of the socket.
  bool Healthy();

 private:
  explicit PgConnection(const std::string& conninfo) : conn_(conninfo) {}

  pqxx::connection conn_;
  std::unordered_set<std::string> prepared_;  // statement names declared to pqxx
};

}  // namespace hf::store::detail
