#include "store/postgres/pg_store.hpp"

#include <algorithm>

#include "common/cpu_count.hpp"
#include "store/detail/migrator.hpp"
#include "store/detail/sql_tx.hpp"
#include "store/detail/statements.hpp"
#include "store/postgres/pg_session.hpp"

namespace hf::store {
namespace {

// `url` plus our session settings as URI query parameters (later keys override earlier ones).
// Parallel query is off: our statements are short and many run at once, and a parallel plan
// starts worker processes per statement, which multiplied the CPU of a filtered list several
// times over under concurrent load (see bench/, `make bench`).
std::string ConnInfo(const std::string& url, const StoreOptions& options) {
  const auto connect_timeout = std::max<int64_t>(
      2, std::chrono::ceil<std::chrono::seconds>(options.acquire_timeout).count());
  return url + (url.find('?') == std::string::npos ? "?" : "&") +
         "application_name=hyperfleet&connect_timeout=" + std::to_string(connect_timeout) +
         "&options=-c%20statement_timeout%3D" + std::to_string(options.query_timeout.count()) +
         "%20-c%20TimeZone%3DUTC%20-c%20DateStyle%3DISO%20-c%20max_parallel_workers_per_gather%3D0";
}

// Reads by id: reader threads (half the CPUs, CpuCount(), at least one), each running one statement
// at a time on a pooled connection, and the most ids one statement takes. Fewer threads make bigger
// batches: on 2 cores one thread served 4-15 % more GETs than two.
size_t ReadThreads() { return std::max<size_t>(1, CpuCount() / 2); }
constexpr size_t kReadBatch = 64;

}  // namespace

Result<std::unique_ptr<PgStore>> PgStore::Open(const std::string& url,
                                               const StoreOptions& options) {
  auto migrations = HF_TRY(LoadMigrations(detail::Dialect::kPostgres, options.migrations_dir));
  std::unique_ptr<PgStore> store(
      new PgStore(ConnInfo(url, options), options, std::move(migrations)));
  HF_CHECK(store->Ping(options.acquire_timeout));
  return store;
}

PgStore::PgStore(const std::string& conninfo, const StoreOptions& options,
                 std::vector<Migration> migrations)
    : options_(options),
      migrations_(std::move(migrations)),
      pool_(
          options.max_connections, [conninfo] { return detail::PgConnection::Open(conninfo); },
          [](detail::PgConnection& conn) { return conn.Healthy(); }),
      listener_(conninfo),
      reads_(
          [this](const std::vector<std::string>& ids) -> Result<std::vector<model::Resource>> {
            auto tx = HF_TRY(Begin(TxMode::kRead));
            return tx->GetResources(ids);
          },
          ReadThreads(), kReadBatch) {}

Result<std::unique_ptr<detail::SqlSession>> PgStore::BeginSession(
    TxMode mode, std::chrono::milliseconds timeout) {
  auto lease = HF_TRY(pool_.Acquire(timeout));
  return std::unique_ptr<detail::SqlSession>(detail::PgSession::Begin(std::move(lease), mode));
}

void PgStore::ReadResource(const std::string& id, ReadDone done) {
  reads_.Read(id, std::move(done));
}

Result<std::unique_ptr<Tx>> PgStore::Begin(TxMode mode) {
  auto session = HF_TRY(BeginSession(mode, options_.acquire_timeout));
  return std::make_unique<detail::SqlTx>(detail::PostgresStatements(), std::move(session));
}

Result<void> PgStore::Ping(std::chrono::milliseconds timeout) {
  auto session = HF_TRY(BeginSession(TxMode::kRead, timeout));
  HF_CHECK(session->ExecDynamic("SELECT 1", {}));
  return Ok();
}

Result<MigrationReport> PgStore::Migrate() {
  auto session = HF_TRY(BeginSession(TxMode::kWrite, options_.acquire_timeout));
  return detail::ApplyMigrations(*session, detail::PostgresStatements(), migrations_);
}

bool PgStore::WaitForOutbox(std::chrono::milliseconds timeout) { return listener_.Wait(timeout); }

}  // namespace hf::store
