#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "store/detail/sql_session.hpp"

namespace hf::store::detail {

// True when `fd` has input (or EOF, or an error) pending right now; does not block.
bool SocketHasInput(int fd);

// One command of a pipeline: a fixed statement (prepared on the connection on its first use,
// unless it is planned on every run), or a one-off SQL text with $n placeholders.
struct PgCommand {
  const Statement* statement = nullptr;  // or, when null, `sql`
  std::string sql;
  std::vector<SqlParam> params;
};

// One PostgreSQL connection (libpq) and the statements prepared on it. Used by one thread at a
// time. Errors map SQLSTATE 23505 → AlreadyExists; 40001, 40P01, 55P03 → Conflict; 57014 →
// DeadlineExceeded; connection loss, 08xxx, 57P01-57P03 → Unavailable (and the connection is
// then unhealthy); anything else → Internal with the database's message in `detail`.
class PgConnection {
 public:
  // Connects with `conninfo`; Unavailable if the server cannot be reached.
  static Result<std::unique_ptr<PgConnection>> Open(const std::string& conninfo);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Sends `commands` as one pipeline, in one round trip (a statement's first use on this
  // connection prepares it in the same round trip), and returns each command's rows in order.
  // The first command that fails fails the call; the server skips the commands after it.
  Result<std::vector<Rows>> Run(std::span<const PgCommand> commands);
  // Runs a script of several statements without parameters (simple query protocol).
  Result<void> RunScript(const std::string& sql);

  // LISTENs on `channel`.
  Result<void> Listen(const std::string& channel);
  // True when a notification arrived within `timeout` (all arrived ones are consumed); false on
  // timeout; Unavailable when the connection is lost.
  Result<bool> WaitForNotification(std::chrono::milliseconds timeout);

  // False when an idle connection should not be reused: it is closed or was given up on, or the
  // server sent something (as it does when it shuts down). No round trip: one poll() of the
  // socket.
  bool Healthy();

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  // Unavailable with libpq's last message; the connection is not used again.
  Error Lost(const std::string& doing);

  PGconn* conn_;
  bool lost_ = false;
  std::unordered_set<std::string> prepared_;  // statement names prepared on the server
};

}  // namespace hf::store::detail
