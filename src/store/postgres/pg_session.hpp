#pragma once

#include <memory>
#include <optional>

#include "store/detail/pool.hpp"
#include "store/detail/sql_session.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/store.hpp"

namespace hf::store::detail {

// A PostgreSQL session on a leased connection: a READ COMMITTED transaction for kWrite, autocommit
// statements (no BEGIN/COMMIT) for kRead. A write transaction costs no round trip of its own: its
// BEGIN, and the writes queued with Queue(), travel in one pipeline with the next statement or
// with the COMMIT. A connection that fails with a connection error is discarded instead of
// returned to the pool.
class PgSession final : public SqlSession {
 public:
  using Lease = Pool<PgConnection>::Lease;

  static std::unique_ptr<PgSession> Begin(Lease lease, TxMode mode);
  ~PgSession() override;  // rolls back a transaction that was not committed

  Result<Rows> Exec(const Statement& statement, const std::vector<SqlParam>& params) override;
  Result<std::vector<Rows>> ExecAll(std::vector<Call> calls) override;
  Result<Rows> ExecDynamic(const std::string& sql, const std::vector<SqlParam>& params) override;
  Result<void> Queue(const Statement& statement, const std::vector<SqlParam>& params) override;
  Result<void> ExecScript(const std::string& sql) override;
  Result<void> Commit(bool outbox_appended) override;

 private:
  PgSession(Lease lease, bool transaction) : lease_(std::move(lease)), transaction_(transaction) {}
  // Runs BEGIN (if not sent yet), the queued writes and then `last` in one round trip; the rows
  // of the commands of `last`, in order.
  Result<std::vector<Rows>> Send(std::vector<PgCommand> last);
  // Send() of one command (or none): its rows.
  Result<Rows> SendOne(std::optional<PgCommand> last);

  Lease lease_;
  const bool transaction_;
  std::vector<PgCommand> pending_;  // queued writes not sent yet
  bool open_ = false;  // (kWrite) BEGIN was sent, and neither COMMIT nor ROLLBACK since
};

}  // namespace hf::store::detail
