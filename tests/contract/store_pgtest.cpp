// The Store contract on PostgreSQL, plus what only PostgreSQL has: concurrent claimers, concurrent
// migrators, and recovery from server restarts. Each test creates its own database from the
// admin DSN in HF_TEST_PG_DSN and drops it afterwards, so test executables can run in parallel.
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "store_contract.hpp"
#include "testing/pg_database.hpp"

namespace hf::store::contract {
namespace {

constexpr const char* kDsnEnv = "HF_TEST_PG_DSN";

// `dsn` with its database name replaced by `name`.
std::string WithDatabase(const std::string& dsn, const std::string& name) {
  const size_t host = dsn.find("://") + 3;
  const size_t slash = dsn.find('/', host);
  const size_t query = dsn.find('?', host);
  const std::string tail = query == std::string::npos ? "" : dsn.substr(query);
  return dsn.substr(0, std::min(slash, query)) + "/" + name + tail;
}

class PgDatabase final : public TestDatabase {
 public:
  PgDatabase() : admin_(testing::EnvOrEmpty(kDsnEnv)) {
    name_ = "hf_test_" + std::to_string(std::random_device{}()) +
            std::to_string(std::random_device{}());
    Admin("CREATE DATABASE " + name_);
  }
  ~PgDatabase() override {
    try {
      Admin("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const std::exception& e) {
      ADD_FAILURE() << "dropping " << name_ << ": " << e.what();
    }
  }
  std::string url() const override { return WithDatabase(admin_, name_); }

 private:
  void Admin(const std::string& sql) { ASSERT_EQ(hf::testing::PgDatabase::Exec(admin_, sql), ""); }

  std::string admin_;
  std::string name_;
};

const auto kPgBackends = ::testing::Values(
    StoreBackend{"Server", kDsnEnv, [] { return std::make_unique<PgDatabase>(); }});
INSTANTIATE_TEST_SUITE_P(Postgres, StoreContract, kPgBackends, BackendName);
INSTANTIATE_TEST_SUITE_P(Postgres, StoreSearch, kPgBackends, BackendName);

class PgStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HF_REQUIRE_ENV(dsn, kDsnEnv);
    db_ = std::make_unique<PgDatabase>();
  }
  std::unique_ptr<Store> Open(StoreOptions options = {}) {
    auto store = OpenStore(db_->url(), options);
    EXPECT_TRUE(store) << store.error().ToString();
    return store ? std::move(*store) : nullptr;
  }
  // The one number `sql` returns, read on a connection of its own.
  int64_t QueryInt(const std::string& sql) {
    return std::stoll(hf::testing::PgDatabase::Query(db_->url(), sql).at(0).at(0));
  }
  // Waits until the test database has no client backend but the caller's: a closed store's
  // backends have then exited and reported their statistics (pg_stat_*).
  void WaitForOtherBackendsToExit() {
    auto others = [&] {
      return QueryInt(
          "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
          "backend_type = 'client backend' AND pid <> pg_backend_pid()");
    };
    // Each look is a connection of its own, whose backend may outlive it a moment: the answer
    // is the look that saw none, not a look after it.
    int seen = others();
    for (int i = 0; i < 200 && seen > 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      seen = others();
    }
    ASSERT_EQ(seen, 0);
  }
  // Runs a test-service command such as $HF_TEST_PG_RESTART; false if the variable is unset.
  static bool RunEnvCommand(const char* name) {
    const std::string cmd = testing::EnvOrEmpty(name);
    if (cmd.empty()) return false;
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
    return true;
  }

  std::unique_ptr<PgDatabase> db_;
};

TEST_F(PgStoreTest, ConcurrentClaimersNeverGetTheSameRow) {
  auto store = Open();
  ASSERT_TRUE(store);
  HF_ASSERT_OK(store->Migrate());
  constexpr int kRows = 300;
  {
    auto tx = HF_ASSERT_OK(store->Begin(TxMode::kWrite));
    for (int i = 0; i < kRows; ++i) HF_ASSERT_OK(tx->AppendOutbox(MakeEvent(NewUuidV7(), 1)));
    HF_ASSERT_OK(tx->Commit());
  }
  std::mutex mu;
  std::vector<int64_t> claimed;  // guarded by mu
  auto claimer = [&] {
    for (;;) {
      auto tx = store->Begin(TxMode::kWrite);
      ASSERT_TRUE(tx) << tx.error().ToString();
      auto rows = (*tx)->ClaimOutbox(7, T(1'000'000));
      ASSERT_TRUE(rows) << rows.error().ToString();
      if (rows->empty()) return;
      std::vector<int64_t> ids;
      for (const auto& e : *rows) ids.push_back(e.id);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));  // hold the locks a little
      ASSERT_TRUE((*tx)->MarkPublished(ids, T(1)));
      ASSERT_TRUE((*tx)->Commit());
      std::lock_guard lock(mu);
      claimed.insert(claimed.end(), ids.begin(), ids.end());
    }
  };
  std::thread a(claimer), b(claimer);
  a.join();
  b.join();
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kRows));
  EXPECT_EQ(std::set<int64_t>(claimed.begin(), claimed.end()).size(), claimed.size());
}

TEST_F(PgStoreTest, ConcurrentMigratorsApplyEachMigrationOnce) {
  std::vector<std::unique_ptr<Store>> stores;
  for (int i = 0; i < 4; ++i) stores.push_back(Open());
  std::vector<MigrationReport> reports(stores.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < stores.size(); ++i) {
    threads.emplace_back([&, i] {
      auto report = stores[i]->Migrate();
      ASSERT_TRUE(report) << report.error().ToString();
      reports[i] = *report;
    });
  }
  for (auto& t : threads) t.join();
  std::vector<std::string> applied;
  for (const auto& r : reports) applied.insert(applied.end(), r.applied.begin(), r.applied.end());
  EXPECT_EQ(static_cast<int64_t>(applied.size()), reports[0].total);
  EXPECT_EQ(std::set<std::string>(applied.begin(), applied.end()).size(), applied.size());
}

TEST_F(PgStoreTest, DuplicateInsertIsAlreadyExistsAndTxStaysUsableAfterRollback) {
  auto store = Open();
  ASSERT_TRUE(store);
  HF_ASSERT_OK(store->Migrate());
  auto r = MakeResource("Cluster", "dup");
  {
    auto tx = HF_ASSERT_OK(store->Begin(TxMode::kWrite));
    HF_ASSERT_OK(tx->InsertResource(r));
    HF_ASSERT_OK(tx->Commit());
  }
  for (int i = 0; i < 3; ++i) {  // the failed transaction's connection goes back to the pool clean
    auto tx = HF_ASSERT_OK(store->Begin(TxMode::kWrite));
    HF_ASSERT_OK(tx->InsertResource(MakeResource("Cluster", "dup")));  // travels with the commit
    auto dup = tx->Commit();
    ASSERT_FALSE(dup);
    EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists);
  }
  auto tx = HF_ASSERT_OK(store->Begin(TxMode::kRead));
  EXPECT_TRUE(HF_ASSERT_OK(tx->GetResource(r.id)));
}

// Marking a batch published finds its rows by id whatever the outbox held when the connection
// first ran the statement: a plan made then on a near-empty table (a sequential scan) and kept
// would read every row kept for retention on every batch. The sequential reads are counted by
// the server's statistics, which a backend reports at the latest when it exits.
TEST_F(PgStoreTest, MarkPublishedFindsRowsByIdAfterTheOutboxGrew) {
  auto seq_tuples_read = [&] {
    return QueryInt(
        "SELECT COALESCE(seq_tup_read, 0) FROM pg_stat_user_tables WHERE relname = 'outbox'");
  };
  auto pass = [](Store& store) {
    auto tx = HF_ASSERT_OK(store.Begin(TxMode::kWrite));
    auto rows = HF_ASSERT_OK(tx->ClaimOutbox(100, T(1'000'000)));
    ASSERT_FALSE(rows.empty());
    std::vector<int64_t> ids;
    for (const auto& e : rows) ids.push_back(e.id);
    HF_ASSERT_OK(tx->MarkPublished(ids, T(2)));
    HF_ASSERT_OK(tx->Commit());
  };
  {
    auto store = Open(StoreOptions{.max_connections = 1});  // one connection: one plan cache
    ASSERT_TRUE(store);
    HF_ASSERT_OK(store->Migrate());
    ASSERT_EQ(hf::testing::PgDatabase::Exec(db_->url(),
                                            "ALTER TABLE outbox SET (autovacuum_enabled = false)"),
              "");
    for (int i = 0; i < 8; ++i) {  // past the 5 executions after which a plan is kept
      {
        auto tx = HF_ASSERT_OK(store->Begin(TxMode::kWrite));
        HF_ASSERT_OK(tx->AppendOutbox(MakeEvent(NewUuidV7(), 1)));
        HF_ASSERT_OK(tx->Commit());
      }
      pass(*store);
    }
    ASSERT_EQ(
        hf::testing::PgDatabase::Exec(
            db_->url(),
            "INSERT INTO outbox (event_id, aggregate_type, aggregate_id, aggregate_generation, "
            "event_type, reason, payload, created_time, next_attempt_time, published_time) "
            "SELECT gen_random_uuid()::text, 'Cluster', gen_random_uuid()::text, 1, 'e', "
            "'created', "
            "'{}', now(), now(), now() FROM generate_series(1, 20000)"),
        "");
    {
      auto tx = HF_ASSERT_OK(store->Begin(TxMode::kWrite));
      HF_ASSERT_OK(tx->AppendOutbox(MakeEvent(NewUuidV7(), 1)));
      HF_ASSERT_OK(tx->Commit());
    }
    pass(*store);
  }  // the store's backends exit and report their statistics
  WaitForOtherBackendsToExit();
  EXPECT_LT(seq_tuples_read(), 20000) << "a mark read the whole outbox";
}

// Reads by id run as kept plans: one made while the table was nearly empty (where a scan of it is
// cheapest) must still find rows through the primary key once the table has grown.
TEST_F(PgStoreTest, ReadsByIdUseThePrimaryKeyAfterTheTableGrew) {
  {
    auto store = Open(StoreOptions{.max_connections = 1});  // one connection: one plan cache
    ASSERT_TRUE(store);
    HF_ASSERT_OK(store->Migrate());
    ASSERT_EQ(hf::testing::PgDatabase::Exec(
                  db_->url(), "ALTER TABLE resources SET (autovacuum_enabled = false)"),
              "");
    auto first = MakeResource("Cluster", "first");
    {
      auto tx = HF_ASSERT_OK(store->Begin(TxMode::kWrite));
      HF_ASSERT_OK(tx->InsertResource(first));
      HF_ASSERT_OK(tx->Commit());
    }
    auto read = [&] {
      auto tx = HF_ASSERT_OK(store->Begin(TxMode::kRead));
      auto rows = HF_ASSERT_OK(tx->GetResources({first.id, NewUuidV7()}));
      ASSERT_EQ(rows.size(), 1u);
      EXPECT_EQ(rows[0].id, first.id);
    };
    for (int i = 0; i < 8; ++i) read();  // past the 5 executions after which a plan is kept
    ASSERT_EQ(hf::testing::PgDatabase::Exec(
                  db_->url(),
                  "INSERT INTO resources (id, kind, name, spec, created_time, updated_time, "
                  "created_by, updated_by) SELECT gen_random_uuid()::text, 'Cluster', 'c' || g, "
                  "'{}', now(), now(), 'test', 'test' FROM generate_series(1, 20000) g"),
              "");
    read();
  }  // the store's backends exit and report their statistics
  WaitForOtherBackendsToExit();
  const int64_t scanned = QueryInt(
      "SELECT COALESCE(seq_tup_read, 0) FROM pg_stat_user_tables WHERE relname = 'resources'");
  EXPECT_LT(scanned, 20000) << "a read by id scanned the whole table";
}

// A backlog that arrived since the last ANALYZE (here: never analyzed) looks tiny to the planner,
// which would then sort every due row to claim the first 100. The claim must read them in id
// order from the index instead.
TEST_F(PgStoreTest, ClaimReadsABacklogInIdOrderWhateverTheStatistics) {
  constexpr int kBacklog = 20000;
  {
    auto store = Open(StoreOptions{.max_connections = 1});
    ASSERT_TRUE(store);
    HF_ASSERT_OK(store->Migrate());
    ASSERT_EQ(hf::testing::PgDatabase::Exec(db_->url(),
                                            "ALTER TABLE outbox SET (autovacuum_enabled = false)"),
              "");
    ASSERT_EQ(hf::testing::PgDatabase::Exec(
                  db_->url(),
                  "INSERT INTO outbox (event_id, aggregate_type, aggregate_id, "
                  "aggregate_generation, event_type, reason, payload, created_time, "
                  "next_attempt_time) SELECT gen_random_uuid()::text, 'Cluster', "
                  "gen_random_uuid()::text, 1, 'e', 'created', repeat('x', 500), now(), "
                  "now() - interval '1 second' FROM generate_series(1, " +
                      std::to_string(kBacklog) + ")"),
              "");
    const int64_t first = QueryInt("SELECT min(id) FROM outbox");
    for (int pass = 0; pass < 2; ++pass) {  // the second with the settings statements prepared
      auto tx = HF_ASSERT_OK(store->Begin(TxMode::kWrite));
      auto rows = HF_ASSERT_OK(tx->ClaimOutbox(100, Now()));
      ASSERT_EQ(rows.size(), 100u);
      for (size_t i = 0; i < rows.size(); ++i) {
        ASSERT_EQ(rows[i].id, first + static_cast<int64_t>(i)) << "claimed out of id order";
      }
    }  // rolled back
  }
  WaitForOtherBackendsToExit();
  const int64_t read = QueryInt(
      "SELECT COALESCE(sum(idx_tup_read), 0) FROM pg_stat_user_indexes WHERE relname = 'outbox'");
  EXPECT_LT(read, kBacklog) << "a claim read the whole backlog";
}

// A status report usually moves one condition of several: the others' rows must not get new
// versions (each rewrite is a dead row and two index entries). Row versions are told apart by
// xmin, the transaction that wrote them.
TEST_F(PgStoreTest, ReplaceConditionsRewritesOnlyTheRowsThatChange) {
  auto store = Open();
  ASSERT_TRUE(store);
  HF_ASSERT_OK(store->Migrate());
  auto r = MakeResource("Cluster", "c1");
  r.conditions = {MakeCondition("Reconciled", "False"), MakeCondition("DnsSuccessful", "True"),
                  MakeCondition("ValidationSuccessful", "True")};
  {
    auto tx = HF_ASSERT_OK(store->Begin(TxMode::kWrite));
    HF_ASSERT_OK(tx->InsertResource(r));
    HF_ASSERT_OK(tx->Commit());
  }
  auto versions = [&] {
    std::map<std::string, std::string> out;
    for (const auto& row : hf::testing::PgDatabase::Query(
             db_->url(), "SELECT type, xmin::text FROM resource_conditions WHERE resource_id = '" +
                             r.id + "'")) {
      out[row.at(0)] = row.at(1);
    }
    return out;
  };
  const auto before = versions();
  ASSERT_EQ(before.size(), 3u);

  auto next = r.conditions;
  next[1].last_updated_time += std::chrono::seconds(1);  // DnsSuccessful: a later report
  next.push_back(MakeCondition("PlacementSuccessful", "False"));
  {
    auto tx = HF_ASSERT_OK(store->Begin(TxMode::kWrite));
    HF_ASSERT_OK(tx->ReplaceConditions(r.id, next));
    HF_ASSERT_OK(tx->Commit());
  }
  const auto after = versions();
  ASSERT_EQ(after.size(), 4u);
  EXPECT_EQ(after.at("Reconciled"), before.at("Reconciled"));
  EXPECT_EQ(after.at("ValidationSuccessful"), before.at("ValidationSuccessful"));
  EXPECT_NE(after.at("DnsSuccessful"), before.at("DnsSuccessful"));
  auto tx = HF_ASSERT_OK(store->Begin(TxMode::kRead));
  EXPECT_EQ(HF_ASSERT_OK(tx->GetResource(r.id))->conditions, next);

  // A new position is a change too: the order is part of what is kept.
  std::swap(next[0], next[2]);
  {
    auto wtx = HF_ASSERT_OK(store->Begin(TxMode::kWrite));
    HF_ASSERT_OK(wtx->ReplaceConditions(r.id, next));
    HF_ASSERT_OK(wtx->Commit());
  }
  const auto reordered = versions();
  EXPECT_NE(reordered.at("Reconciled"), after.at("Reconciled"));
  EXPECT_NE(reordered.at("ValidationSuccessful"), after.at("ValidationSuccessful"));
  EXPECT_EQ(reordered.at("DnsSuccessful"), after.at("DnsSuccessful"));
  auto rtx = HF_ASSERT_OK(store->Begin(TxMode::kRead));
  EXPECT_EQ(HF_ASSERT_OK(rtx->GetResource(r.id))->conditions, next);
}

TEST_F(PgStoreTest, StatementTimeoutIsDeadlineExceededAndPoolIsBounded) {
  StoreOptions options;
  options.max_connections = 2;
  options.query_timeout = std::chrono::milliseconds(200);
  options.acquire_timeout = std::chrono::milliseconds(300);
  auto store = Open(options);
  ASSERT_TRUE(store);
  HF_ASSERT_OK(store->Migrate());
  const auto r = MakeResource("Cluster", "c1");
  {
    auto tx = HF_ASSERT_OK(store->Begin(TxMode::kWrite));
    HF_ASSERT_OK(tx->InsertResource(r));  // a row to lock
    HF_ASSERT_OK(tx->Commit());
  }
  {
    // Waiting for a row lock held by another transaction outlasts the statement timeout.
    auto holder = HF_ASSERT_OK(store->Begin(TxMode::kWrite));
    HF_ASSERT_OK(holder->GetResource(r.id, Lock::kForUpdate));
    auto waiter = HF_ASSERT_OK(store->Begin(TxMode::kWrite));
    auto slow = waiter->GetResource(r.id, Lock::kForUpdate);
    ASSERT_FALSE(slow);
    EXPECT_EQ(slow.error().code, ErrorCode::kDeadlineExceeded) << slow.error().ToString();
  }
  auto a = HF_ASSERT_OK(store->Begin(TxMode::kRead));
  auto b = HF_ASSERT_OK(store->Begin(TxMode::kWrite));
  EXPECT_EQ(store->Stats().in_use, 2);
  auto c = store->Begin(TxMode::kRead);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kDeadlineExceeded);
  b.reset();
  HF_ASSERT_OK(store->Begin(TxMode::kRead));
}

// After a restart every pooled connection is stale. Stale idle connections are noticed when
// leased (the server's goodbye makes the socket readable) and replaced, so operations after the
// restart succeed at the first attempt: no retry is needed. (Only an operation in flight while
// the server goes down fails, with Unavailable, and its connection is discarded.) The outbox
// listener reconnects too: its first wait after the restart reports a wake-up, since
// notifications may have been missed, and later commits wake it again.
TEST_F(PgStoreTest, RecoversAfterServerRestart) {
  if (testing::EnvOrEmpty("HF_TEST_PG_RESTART").empty()) GTEST_SKIP() << "HF_TEST_PG_RESTART unset";
  auto store = Open();
  ASSERT_TRUE(store);
  HF_ASSERT_OK(store->Migrate());
  {  // fill the pool with a few connections
    auto t1 = HF_ASSERT_OK(store->Begin(TxMode::kRead));
    auto t2 = HF_ASSERT_OK(store->Begin(TxMode::kRead));
    auto t3 = HF_ASSERT_OK(store->Begin(TxMode::kWrite));
  }
  EXPECT_FALSE(store->WaitForOutbox(std::chrono::milliseconds(50)));  // opens the listener
  ASSERT_TRUE(RunEnvCommand("HF_TEST_PG_RESTART"));
  auto r = MakeResource("Cluster", "after-restart");
  int failures = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto tx = store->Begin(TxMode::kWrite);
    if (tx && (*tx)->InsertResource(r) && (*tx)->AppendOutbox(MakeEvent(r.id, 1)) &&
        (*tx)->Commit()) {
      break;
    }
    ++failures;
  }
  EXPECT_EQ(failures, 0);
  for (int i = 0; i < 5; ++i) {  // every pooled connection works again
    auto tx = HF_ASSERT_OK(store->Begin(TxMode::kRead));
    EXPECT_TRUE(HF_ASSERT_OK(tx->GetResource(r.id)));
  }
  HF_ASSERT_OK(store->Ping(std::chrono::seconds(2)));

  EXPECT_TRUE(store->WaitForOutbox(std::chrono::seconds(5)));  // reconnected
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto tx = HF_ASSERT_OK(store->Begin(TxMode::kWrite));
    HF_ASSERT_OK(tx->AppendOutbox(MakeEvent(r.id, 2)));
    HF_ASSERT_OK(tx->Commit());
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(store->WaitForOutbox(std::chrono::seconds(5)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  writer.join();
}

TEST_F(PgStoreTest, PingFailsFastWhileServerIsStoppedAndRecovers) {
  if (testing::EnvOrEmpty("HF_TEST_PG_STOP").empty() ||
      testing::EnvOrEmpty("HF_TEST_PG_START").empty()) {
    GTEST_SKIP() << "HF_TEST_PG_STOP / HF_TEST_PG_START unset";
  }
  auto store = Open();
  ASSERT_TRUE(store);
  HF_ASSERT_OK(store->Ping(std::chrono::seconds(2)));
  const std::string url = db_->url();
  ASSERT_TRUE(RunEnvCommand("HF_TEST_PG_STOP"));
  const auto start = std::chrono::steady_clock::now();
  auto down = store->Ping(std::chrono::seconds(2));
  const auto took = std::chrono::steady_clock::now() - start;
  auto reopened = OpenStore(url);
  ASSERT_TRUE(RunEnvCommand("HF_TEST_PG_START"));
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, ErrorCode::kUnavailable) << down.error().ToString();
  EXPECT_LT(took, std::chrono::seconds(3));
  ASSERT_FALSE(reopened);
  EXPECT_EQ(reopened.error().code, ErrorCode::kUnavailable);
  HF_ASSERT_OK(store->Ping(std::chrono::seconds(2)));
}

}  // namespace
}  // namespace hf::store::contract
