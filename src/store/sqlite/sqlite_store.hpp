#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

#include "store/detail/pool.hpp"
#include "store/migrations.hpp"
#include "store/sqlite/sqlite_connection.hpp"
#include "store/store.hpp"

namespace hf::store {

// The Store on SQLite. One writer: write transactions run one at a time on a dedicated
// connection (BEGIN IMMEDIATE); reads use a small pool of connections that WAL lets run
// alongside the writer. An in-memory database lives on a single connection used by every Tx in
// turn. Outbox waiters are woken in-process when a Tx that appended outbox rows commits.
class SqliteStore final : public Store {
 public:
  // `path`: a database file (created if missing) or ":memory:". Unavailable if it cannot be opened.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path,
                                                   const StoreOptions& options);

  Result<std::unique_ptr<Tx>> Begin(TxMode mode) override;
  Result<void> Ping(std::chrono::milliseconds timeout) override;
  Result<MigrationReport> Migrate() override;
  bool WaitForOutbox(std::chrono::milliseconds timeout) override;
  PoolStats Stats() const override;

 private:
  using Pool = detail::Pool<detail::SqliteConnection>;

  SqliteStore(const std::string& path, const StoreOptions& options,
              std::vector<Migration> migrations);
  // A read (or, with `write`, the write) transaction session.
  Result<std::unique_ptr<detail::SqlSession>> BeginSession(bool write,
                                                           std::chrono::milliseconds timeout);
  void SignalOutbox();

  const StoreOptions options_;
  const std::vector<Migration> migrations_;
  std::unique_ptr<Pool> writer_;   // one connection; for ":memory:" also serves reads
  std::unique_ptr<Pool> readers_;  // null for ":memory:"

  std::mutex outbox_mu_;  // guards outbox_seq_
  std::condition_variable outbox_cv_;
  uint64_t outbox_seq_ = 0;  // bumped after each commit that appended outbox rows
};

}  // namespace hf::store
