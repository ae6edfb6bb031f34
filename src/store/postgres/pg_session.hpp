#pragma once

#include <memory>
#include <pqxx/transaction_base>

#include "store/detail/pool.hpp"
#include "store/detail/sql_session.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/store.hpp"

namespace hf::store::detail {

// A PostgreSQL session on a leased connection: a READ COMMITTED transaction for kWrite, a
// nontransaction (autocommit, no BEGIN/COMMIT round trips) for kRead. A connection that fails
// with a connection error is discarded instead of returned to the pool.
class PgSession final : public SqlSession {
 public:
  using Lease = Pool<PgConnection>::Lease;

  static Result<std::unique_ptr<PgSession>> Begin(Lease lease, TxMode mode);
  ~PgSession() override;

  Result<Rows> Exec(const Statement& statement, const std::vector<SqlParam>& params) override;
  Result<Rows> ExecDynamic(const std::string& sql, const std::vector<SqlParam>& params) override;
  Result<void> ExecScript(const std::string& sql) override;
  Result<void> Commit(bool outbox_appended) override;

 private:
  PgSession(Lease lease, std::unique_ptr<pqxx::transaction_base> txn)
      : lease_(std::move(lease)), txn_(std::move(txn)) {}
  // CurrentPgError(), marking the connection broken when it is lost.
  Error HandleError();

  Lease lease_;
  std::unique_ptr<pqxx::transaction_base> txn_;  // destroyed first: rolls back if not committed
};

}  // namespace hf::store::detail
