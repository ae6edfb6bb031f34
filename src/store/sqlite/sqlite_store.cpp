#include "store/sqlite/sqlite_store.hpp"

#include <algorithm>

#include "store/detail/migrator.hpp"
#include "store/detail/sql_tx.hpp"
#include "store/detail/statements.hpp"
#include "store/sqlite/sqlite_session.hpp"

namespace hf::store {

namespace {
constexpr int kMaxReaders = 4;
}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       const StoreOptions& options) {
  auto migrations = HF_TRY(LoadMigrations(detail::Dialect::kSqlite, options.migrations_dir));
  std::unique_ptr<SqliteStore> store(new SqliteStore(path, options, std::move(migrations)));
  HF_CHECK(store->Ping(options.acquire_timeout));  // fails early on a bad path
  return store;
}

SqliteStore::SqliteStore(const std::string& path, const StoreOptions& options,
                         std::vector<Migration> migrations)
    : options_(options), migrations_(std::move(migrations)) {
  auto open = [path, timeout = options.busy_timeout] {
    return detail::SqliteConnection::Open(path, timeout);
  };
  writer_ = std::make_unique<Pool>(1, open);
  if (path != ":memory:") {
    readers_ = std::make_unique<Pool>(std::clamp(options.max_connections, 1, kMaxReaders), open);
  }
}

Result<std::unique_ptr<detail::SqlSession>> SqliteStore::BeginSession(
    bool write, std::chrono::milliseconds timeout) {
  Pool& pool = (write || !readers_) ? *writer_ : *readers_;
  auto lease = HF_TRY(pool.Acquire(timeout));
  return detail::SqliteSession::Begin(std::move(lease), write, [this] { SignalOutbox(); });
}

Result<std::unique_ptr<Tx>> SqliteStore::Begin(TxMode mode) {
  const bool write = mode == TxMode::kWrite;
  auto session =
      HF_TRY(BeginSession(write, write ? options_.busy_timeout : options_.acquire_timeout));
  return std::make_unique<detail::SqlTx>(detail::SqliteStatements(), std::move(session));
}

Result<void> SqliteStore::Ping(std::chrono::milliseconds timeout) {
  auto session = HF_TRY(BeginSession(false, timeout));
  HF_CHECK(session->ExecDynamic("SELECT 1", {}));
  return Ok();
}

Result<MigrationReport> SqliteStore::Migrate() {
  auto session = HF_TRY(BeginSession(true, options_.busy_timeout));
  return detail::ApplyMigrations(*session, detail::SqliteStatements(), migrations_);
}

void SqliteStore::SignalOutbox() {
  {
    std::lock_guard lock(outbox_mu_);
    ++outbox_seq_;
  }
  outbox_cv_.notify_all();
}

bool SqliteStore::WaitForOutbox(std::chrono::milliseconds timeout) {
  std::unique_lock lock(outbox_mu_);
  const uint64_t seen = outbox_seq_;
  return outbox_cv_.wait_for(lock, timeout, [&] { return outbox_seq_ != seen; });
}

PoolStats SqliteStore::Stats() const {
  PoolStats stats = writer_->Stats();
  if (readers_) {
    const PoolStats r = readers_->Stats();
    stats.open += r.open;
    stats.in_use += r.in_use;
  }
  return stats;
}

}  // namespace hf::store
