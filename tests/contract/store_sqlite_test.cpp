// The Store contract on SQLite: a database file in a fresh temporary directory, and :memory:.
#include <filesystem>

#include "store_contract.hpp"

namespace hf::store::contract {
namespace {

class SqliteFile final : public TestDatabase {
 public:
  SqliteFile() : dir_(testing::MakeTempDir("hf-store")) {}
  ~SqliteFile() override { std::filesystem::remove_all(dir_); }
  std::string url() const override { return "sqlite:" + dir_ + "/hf.db"; }

 private:
  std::string dir_;
};

class SqliteMemory final : public TestDatabase {
 public:
  std::string url() const override { return "sqlite::memory:"; }
};

const auto kSqliteBackends = ::testing::Values(
    StoreBackend{"File", nullptr, [] { return std::make_unique<SqliteFile>(); }},
    StoreBackend{"Memory", nullptr, [] { return std::make_unique<SqliteMemory>(); }});
INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContract, kSqliteBackends, BackendName);
INSTANTIATE_TEST_SUITE_P(Sqlite, StoreSearch, kSqliteBackends, BackendName);

// WAL: a read transaction runs while a write transaction is open, and sees committed data only.
TEST(SqliteStore, ReadersRunAlongsideTheWriter) {
  SqliteFile db;
  auto store = HF_ASSERT_OK(OpenStore(db.url()));
  HF_ASSERT_OK(store->Migrate());
  auto r = MakeResource("Cluster", "c1");
  auto writer = HF_ASSERT_OK(store->Begin(TxMode::kWrite));
  HF_ASSERT_OK(writer->InsertResource(r));
  auto reader = HF_ASSERT_OK(store->Begin(TxMode::kRead));
  EXPECT_FALSE(HF_ASSERT_OK(reader->GetResource(r.id)));
  reader.reset();
  HF_ASSERT_OK(writer->Commit());
  auto after = HF_ASSERT_OK(store->Begin(TxMode::kRead));
  EXPECT_TRUE(HF_ASSERT_OK(after->GetResource(r.id)));
}

TEST(SqliteStore, UnopenablePathIsUnavailable) {
  auto store = OpenStore("sqlite:/nonexistent-dir/x/y.db");
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace hf::store::contract
