#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/detail/pool.hpp"
#include "store/detail/read_batcher.hpp"
#include "store/migrations.hpp"
#include "store/postgres/pg_connection.hpp"
#include "store/postgres/pg_listener.hpp"
#include "store/store.hpp"

namespace hf::store {

// The Store on PostgreSQL (libpq). A bounded pool of connections with session settings
// TimeZone=UTC, DateStyle=ISO, statement_timeout=query_timeout, application_name=hyperfleet;
// statements are prepared per connection. Lost connections are replaced, so the store recovers
// by itself after a server restart: stale idle connections are noticed when leased, and only an
// operation in flight when the server went away fails (Unavailable).
class PgStore final : public Store {
 public:
  // `url`: postgres://… or postgresql://…. Connects once; Unavailable if that fails.
  static Result<std::unique_ptr<PgStore>> Open(const std::string& url, const StoreOptions& options);

  Result<std::unique_ptr<Tx>> Begin(TxMode mode) override;
  // Queued for the store's reader threads (detail::ReadBatcher).
  void ReadResource(const std::string& id, ReadDone done) override;
  Result<void> Ping(std::chrono::milliseconds timeout) override;
  // One transaction under pg_advisory_xact_lock: concurrent migrators apply each migration once.
  Result<MigrationReport> Migrate() override;
  bool WaitForOutbox(std::chrono::milliseconds timeout) override;
  PoolStats Stats() const override { return pool_.Stats(); }

 private:
  PgStore(const std::string& conninfo, const StoreOptions& options,
          std::vector<Migration> migrations);
  Result<std::unique_ptr<detail::SqlSession>> BeginSession(TxMode mode,
                                                           std::chrono::milliseconds timeout);

  const StoreOptions options_;
  const std::vector<Migration> migrations_;
  detail::Pool<detail::PgConnection> pool_;
  detail::PgListener listener_;
  detail::ReadBatcher reads_;
};

}  // namespace hf::store
