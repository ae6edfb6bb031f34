#pragma once

#include <functional>
#include <memory>

#include "store/detail/pool.hpp"
#include "store/detail/sql_session.hpp"
#include "store/sqlite/sqlite_connection.hpp"

namespace hf::store::detail {

// A SQLite transaction on a leased connection: BEGIN IMMEDIATE for writes (the caller holds the
// only writer connection), a deferred BEGIN for reads (one consistent WAL snapshot).
class SqliteSession final : public SqlSession {
 public:
  using Lease = Pool<SqliteConnection>::Lease;

  // `on_outbox_commit` runs after a successful commit that appended outbox rows.
  static Result<std::unique_ptr<SqliteSession>> Begin(Lease lease, bool write,
                                                      std::function<void()> on_outbox_commit);
  ~SqliteSession() override;

  Result<Rows> Exec(const Statement& statement, const std::vector<SqlParam>& params) override;
  Result<Rows> ExecDynamic(const std::string& sql, const std::vector<SqlParam>& params) override;
  Result<void> ExecScript(const std::string& sql) override;
  Result<void> Commit(bool outbox_appended) override;

 private:
  SqliteSession(Lease lease, std::function<void()> on_outbox_commit)
      : lease_(std::move(lease)), on_outbox_commit_(std::move(on_outbox_commit)) {}

  Lease lease_;
  std::function<void()> on_outbox_commit_;
  bool open_ = true;  // BEGIN ran and neither COMMIT nor ROLLBACK yet
};

}  // namespace hf::store::detail
