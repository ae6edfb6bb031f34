#pragma once

// The contract every Store backend must pass. A backend's test file defines how to make a fresh,
// empty database (StoreBackend) and instantiates both suites, StoreContract and StoreSearch:
//   INSTANTIATE_TEST_SUITE_P(Sqlite, StoreContract, ::testing::Values(...), BackendName);

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "common/uuid.hpp"
#include "search/search.hpp"
#include "store/store.hpp"
#include "testing/env.hpp"

// GCC 12 warns about members left out of designated initializers; they have defaults here.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace hf::store::contract {

// A fresh database for one test, removed when destroyed.
class TestDatabase {
 public:
  virtual ~TestDatabase() = default;
  virtual std::string url() const = 0;
};

struct StoreBackend {
  std::string name;
  const char* required_env = nullptr;  // e.g. "HF_TEST_PG_DSN"; the test is skipped without it
  std::function<std::unique_ptr<TestDatabase>()> make;
};

inline std::string BackendName(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param.name;
}

// Fixed microsecond times, far from "now" so that claims by time are deterministic.
inline Time T(int64_t seconds, int64_t micros = 0) {
  return Time(std::chrono::seconds(1'800'000'000 + seconds)) + std::chrono::microseconds(micros);
}

inline model::Resource MakeResource(const std::string& kind, const std::string& name,
                                    Time created = T(0, 123456)) {
  model::Resource r;
  r.id = NewUuidV7();
  r.kind = kind;
  r.name = name;
  r.href = "/api/hyperfleet/v1/" + kind + "s/" + r.id;
  r.spec = {{"region", "eu"}, {"nodes", 3}, {"nested", {{"a", {1, 2, 3}}, {"b", nullptr}}}};
  r.labels = {{"env", "prod"}, {"team", "core"}};
  r.created_time = created;
  r.updated_time = created + std::chrono::microseconds(1);
  r.created_by = "alice@example.com";
  r.updated_by = "bob@example.com";
  return r;
}

inline model::Condition MakeCondition(const std::string& type, const std::string& status) {
  return {type, status, "Reason" + type, "message of " + type, 2, T(1, 1), T(2, 2), T(3, 3)};
}

inline model::OutboxEvent MakeEvent(const std::string& aggregate_id, int64_t generation,
                                    Time created = T(0)) {
  model::OutboxEvent e;
  e.event_id = NewUuidV7();
  e.aggregate_type = "Cluster";
  e.aggregate_id = aggregate_id;
  e.aggregate_generation = generation;
  e.event_type = "com.redhat.hyperfleet.cluster.changed.v1";
  e.reason = "created";
  e.payload = R"({"specversion":"1.0"})";
  e.created_time = created;
  e.next_attempt_time = created;
  return e;
}

// The filter of a search query that is known to parse.
inline search::Filter Search(std::string_view query) { return **search::ParseSearch(query); }

#define HF_ASSERT_OK(expr)                                        \
  ({                                                              \
    auto hf_ok_ = (expr);                                         \
    ASSERT_TRUE(hf_ok_.has_value()) << hf_ok_.error().ToString(); \
    std::move(hf_ok_).value();                                    \
  })

class StoreContract : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    if (GetParam().required_env) {
      HF_REQUIRE_ENV(value, GetParam().required_env);
    }
    db_ = GetParam().make();
    ASSERT_TRUE(db_);
    auto store = OpenStore(db_->url());
    ASSERT_TRUE(store) << store.error().ToString();
    store_ = std::move(*store);
    auto report = store_->Migrate();
    ASSERT_TRUE(report) << report.error().ToString();
    first_migration_ = *report;
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
  }

  std::unique_ptr<Tx> Write() {
    auto tx = store_->Begin(TxMode::kWrite);
    EXPECT_TRUE(tx) << tx.error().ToString();
    return tx ? std::move(*tx) : nullptr;
  }
  std::unique_ptr<Tx> Read() {
    auto tx = store_->Begin(TxMode::kRead);
    EXPECT_TRUE(tx) << tx.error().ToString();
    return tx ? std::move(*tx) : nullptr;
  }
  // Inserts `r` in a transaction of its own and commits: a refused insert may fail either call
  // (the insert travels with the commit on PostgreSQL).
  Result<void> TryInsert(const model::Resource& r) {
    auto tx = Write();
    if (!tx) return Fail(ErrorCode::kInternal, "no transaction");
    HF_CHECK(tx->InsertResource(r));
    return tx->Commit();
  }
  // Inserts and commits.
  void Insert(const model::Resource& r) {
    auto tx = Write();
    ASSERT_TRUE(tx);
    auto inserted = tx->InsertResource(r);
    ASSERT_TRUE(inserted) << inserted.error().ToString();
    auto committed = tx->Commit();
    ASSERT_TRUE(committed) << committed.error().ToString();
  }
  std::optional<model::Resource> Get(const std::string& id) {
    auto tx = Read();
    if (!tx) return std::nullopt;
    auto r = tx->GetResource(id);
    EXPECT_TRUE(r) << r.error().ToString();
    return r ? *r : std::nullopt;
  }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<Store> store_;
  MigrationReport first_migration_;
};

inline void ExpectSameResource(const model::Resource& got, const model::Resource& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.kind, want.kind);
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.href, want.href);
  EXPECT_EQ(got.spec, want.spec);
  EXPECT_EQ(got.labels, want.labels);
  EXPECT_EQ(got.generation, want.generation);
  EXPECT_EQ(got.owner.has_value(), want.owner.has_value());
  if (got.owner && want.owner) {
    EXPECT_EQ(got.owner->id, want.owner->id);
    EXPECT_EQ(got.owner->kind, want.owner->kind);
    EXPECT_EQ(got.owner->href, want.owner->href);
  }
  EXPECT_EQ(got.conditions, want.conditions);
  EXPECT_EQ(FormatTime(got.created_time), FormatTime(want.created_time));
  EXPECT_EQ(FormatTime(got.updated_time), FormatTime(want.updated_time));
  EXPECT_EQ(got.deleted_time, want.deleted_time);
  EXPECT_EQ(got.created_by, want.created_by);
  EXPECT_EQ(got.updated_by, want.updated_by);
  EXPECT_EQ(got.deleted_by, want.deleted_by);
}

// Resources written before migrations 0005 kept their labels and conditions only in their own
// tables: the migration copies them onto the row, and they read back the same.
TEST_P(StoreContract, ResourcesWrittenBeforeTheDocumentsMigrationReadTheSame) {
  namespace fs = std::filesystem;
  auto db = GetParam().make();
  const std::string dialect = db->url().starts_with("postgres") ? "postgres" : "sqlite";
  const std::string dir = hf::testing::MakeTempDir("hf-migrations");
  fs::create_directories(dir + "/" + dialect);
  for (const auto& file :
       fs::directory_iterator(hf::testing::SourceDir() + "/migrations/" + dialect)) {
    fs::copy_file(file.path(), dir + "/" + dialect + "/" + file.path().filename().string());
  }
  // Applied between 0004 and 0005 (name order), as the statements before 0005 wrote rows; times
  // in the stored form of both dialects.
  std::ofstream(dir + "/" + dialect + "/0004z_rows_before_documents.sql")
      << "INSERT INTO resources (id, kind, name, href, spec, generation, created_time, "
         "updated_time, created_by, updated_by, reconciled_status, reconciled_updated_time) "
         "VALUES ('old-1', 'Cluster', 'old', '/api/hyperfleet/v1/clusters/old-1', "
         "'{\"region\":\"eu\"}', 3, '2026-03-06T14:00:00.123456Z', "
         "'2026-03-06T14:00:01.000000Z', 'a@x', 'b@x', 'False', '2026-03-06T15:00:00.000000Z'), "
         "('old-2', 'Cluster', 'bare', '/api/hyperfleet/v1/clusters/old-2', '{}', 1, "
         "'2026-03-06T14:00:02.000000Z', '2026-03-06T14:00:02.000000Z', 'a@x', 'a@x', '', NULL);\n"
         "INSERT INTO resource_labels (resource_id, key, value) VALUES ('old-1', 'team', 'core'), "
         "('old-1', 'env', 'say \"hi\" \\ bye');\n"
         "INSERT INTO resource_conditions (resource_id, type, position, status, reason, message, "
         "observed_generation, created_time, last_updated_time, last_transition_time) VALUES "
         "('old-1', 'Reconciled', 2, 'False', 'Missing', 'waiting for [dns]', 3, "
         "'2026-03-06T14:00:00.000001Z', '2026-03-06T15:00:00.000000Z', "
         "'2026-03-06T14:30:00.000000Z'), ('old-1', 'Available', 1, 'True', 'Ok', '', 2, "
         "'2026-03-06T14:00:00.000002Z', '2026-03-06T14:00:00.000003Z', "
         "'2026-03-06T14:00:00.000004Z');\n";
  auto store = HF_ASSERT_OK(OpenStore(db->url(), {.migrations_dir = dir}));
  HF_ASSERT_OK(store->Migrate());
  auto tx = HF_ASSERT_OK(store->Begin(TxMode::kRead));
  const auto old = HF_ASSERT_OK(tx->GetResource("old-1"));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->labels,
            (std::map<std::string, std::string>{{"env", "say \"hi\" \\ bye"}, {"team", "core"}}));
  const auto at = [](const char* text) { return *ParseTime(text); };
  EXPECT_EQ(old->conditions,
            (std::vector<model::Condition>{
                {"Available", "True", "Ok", "", 2, at("2026-03-06T14:00:00.000002Z"),
                 at("2026-03-06T14:00:00.000003Z"), at("2026-03-06T14:00:00.000004Z")},
                {"Reconciled", "False", "Missing", "waiting for [dns]", 3,
                 at("2026-03-06T14:00:00.000001Z"), at("2026-03-06T15:00:00Z"),
                 at("2026-03-06T14:30:00Z")}}));
  const auto bare = HF_ASSERT_OK(tx->GetResource("old-2"));
  ASSERT_TRUE(bare);
  EXPECT_TRUE(bare->labels.empty());
  EXPECT_TRUE(bare->conditions.empty());
  tx.reset();
  store.reset();
  fs::remove_all(dir);
}

TEST_P(StoreContract, MigrateCreatesSchemaOnceAndSecondRunIsANoOp) {
  EXPECT_FALSE(first_migration_.applied.empty());
  EXPECT_EQ(first_migration_.total, static_cast<int64_t>(first_migration_.applied.size()));
  EXPECT_EQ(first_migration_.applied.front(), "0001_init");
  auto again = HF_ASSERT_OK(store_->Migrate());
  EXPECT_TRUE(again.applied.empty());
  EXPECT_EQ(again.total, first_migration_.total);
  HF_ASSERT_OK(store_->Ping(std::chrono::seconds(2)));
}

TEST_P(StoreContract, ResourceRoundTripsWithLabelsSpecConditionsAndMicroseconds) {
  auto r = MakeResource("Cluster", "c1");
  r.conditions = {MakeCondition("Reconciled", "True"), MakeCondition("Available", "False"),
                  MakeCondition("DnsSuccessful", "True")};  // not in alphabetical order
  Insert(r);
  auto got = Get(r.id);
  ASSERT_TRUE(got);
  ExpectSameResource(*got, r);
  EXPECT_FALSE(Get(NewUuidV7()));
}

// GetResources reads several ids in one statement; ReadResource reads one outside a Tx (on
// PostgreSQL through the store's read batcher) and sees every write committed before the call.
TEST_P(StoreContract, GetResourcesAndReadResourceSeeCommittedRows) {
  auto a = MakeResource("Cluster", "many-a");
  auto b = MakeResource("Cluster", "many-b");
  Insert(a);
  Insert(b);
  auto tx = Read();
  ASSERT_TRUE(tx);
  auto rows = HF_ASSERT_OK(tx->GetResources({b.id, NewUuidV7(), a.id, b.id}));
  ASSERT_EQ(rows.size(), 2u);
  std::sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) { return x.name < y.name; });
  ExpectSameResource(rows[0], a);
  ExpectSameResource(rows[1], b);
  EXPECT_TRUE(HF_ASSERT_OK(tx->GetResources({})).empty());
  tx.reset();

  auto read = [&](const std::string& id) {
    std::promise<Result<std::optional<model::Resource>>> answer;
    store_->ReadResource(id, [&](auto r) { answer.set_value(std::move(r)); });
    return answer.get_future().get();
  };
  auto got = HF_ASSERT_OK(read(a.id));
  ASSERT_TRUE(got);
  ExpectSameResource(*got, a);
  EXPECT_FALSE(HF_ASSERT_OK(read(NewUuidV7())));

  // Many reads at once, each after its own committed write: none reads an older row.
  std::vector<model::Resource> fresh;
  for (int i = 0; i < 20; ++i)
    fresh.push_back(MakeResource("Cluster", "fresh-" + std::to_string(i)));
  std::vector<std::thread> threads;
  std::atomic<int> seen{0};
  for (const auto& r : fresh) {
    threads.emplace_back([&, r] {
      {
        auto w = store_->Begin(TxMode::kWrite);
        if (!w || !(*w)->InsertResource(r) || !(*w)->Commit()) return;
      }
      std::promise<bool> found;
      store_->ReadResource(
          r.id, [&](auto got) { found.set_value(got && *got && (*got)->name == r.name); });
      if (found.get_future().get()) ++seen;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(seen, 20);
}

// Labels and conditions come back as JSON columns (PostgreSQL), read by a plain fast path when
// they hold no escape and by a full JSON reader otherwise: both must give back every byte.
TEST_P(StoreContract, ResourceRoundTripsTextThatNeedsEscaping) {
  auto r = MakeResource("Cluster", "c-escapes");
  r.labels = {{"note", "say \"hi\" \\ back"}, {"plain", "caf\xc3\xa9 \xe2\x82\xac"}};
  auto tricky = MakeCondition("Reconciled", "False");
  tricky.message = "line one\nline \"two\"\t\x01 [a, b], {c: d} \xf0\x9f\x9a\x80";
  tricky.reason = "Has\\Backslash";
  auto plain = MakeCondition("Available", "True");
  plain.message = "commas, [brackets] and \xe2\x80\x94 dashes";
  r.conditions = {tricky, plain};
  Insert(r);
  ExpectSameResource(*Get(r.id), r);
  auto other = MakeResource("Cluster", "c-plain");  // no escapes anywhere
  other.conditions = {plain};
  Insert(other);
  ExpectSameResource(*Get(other.id), other);
  auto tx = Read();
  auto page = HF_ASSERT_OK(tx->ListResources({.kind = "Cluster", .order = {{"name"}}}));
  ASSERT_EQ(page.items.size(), 2u);
  ExpectSameResource(page.items[0], r);
  ExpectSameResource(page.items[1], other);
}

TEST_P(StoreContract, ChildKeepsItsOwner) {
  auto parent = MakeResource("Cluster", "p");
  Insert(parent);
  auto child = MakeResource("NodePool", "np");
  child.owner = model::ObjectRef{parent.id, "Cluster", parent.href};
  child.labels.clear();
  Insert(child);
  auto got = Get(child.id);
  ASSERT_TRUE(got);
  ExpectSameResource(*got, child);
}

TEST_P(StoreContract, UpdateReplacesSpecLabelsConditionsAndDeletion) {
  auto r = MakeResource("Cluster", "c1");
  r.conditions = {MakeCondition("A", "True"), MakeCondition("B", "False")};
  Insert(r);
  r.spec = {{"region", "us"}};
  r.labels = {{"env", "dev"}, {"new", "1"}};  // changed, added, "team" removed
  r.generation = 2;
  r.updated_time = T(100, 7);
  r.updated_by = "carol";
  r.deleted_time = T(101, 9);
  r.deleted_by = "dave";
  r.conditions = {MakeCondition("C", "True"), MakeCondition("A", "False")};
  {
    auto tx = Write();
    HF_ASSERT_OK(tx->UpdateResource(r));
    HF_ASSERT_OK(tx->Commit());
  }
  auto got = Get(r.id);
  ASSERT_TRUE(got);
  ExpectSameResource(*got, r);

  auto tx = Write();
  auto missing = MakeResource("Cluster", "nope");
  auto updated = tx->UpdateResource(missing);
  ASSERT_FALSE(updated);
  EXPECT_EQ(updated.error().code, ErrorCode::kNotFound);
}

TEST_P(StoreContract, ReplaceConditionsKeepsGivenOrder) {
  auto r = MakeResource("Cluster", "c1");
  r.conditions = {MakeCondition("A", "True")};
  Insert(r);
  const std::vector<model::Condition> next = {
      MakeCondition("Z", "False"), MakeCondition("A", "True"), MakeCondition("M", "True")};
  {
    auto tx = Write();
    HF_ASSERT_OK(tx->ReplaceConditions(r.id, next));
    HF_ASSERT_OK(tx->Commit());
  }
  EXPECT_EQ(Get(r.id)->conditions, next);
  {
    auto tx = Write();
    HF_ASSERT_OK(tx->ReplaceConditions(r.id, {}));
    HF_ASSERT_OK(tx->Commit());
  }
  EXPECT_TRUE(Get(r.id)->conditions.empty());
}

TEST_P(StoreContract, ReconcileBacklogCountsUnreconciledAndStuckPerKind) {
  auto with_reconciled = [](model::Resource r, const std::string& status, Time since) {
    auto c = MakeCondition("Reconciled", status);
    c.last_transition_time = since;
    r.conditions = {MakeCondition("Available", "False"), c};
    return r;
  };
  Insert(with_reconciled(MakeResource("Cluster", "a"), "False", T(10)));
  Insert(with_reconciled(MakeResource("Cluster", "b"), "False", T(100)));
  Insert(with_reconciled(MakeResource("Cluster", "c"), "True", T(5)));
  Insert(with_reconciled(MakeResource("NodePool", "p"), "False", T(50)));
  auto backlog = HF_ASSERT_OK(Read()->GetReconcileBacklog(T(60)));
  std::sort(backlog.begin(), backlog.end(),
            [](const auto& x, const auto& y) { return x.kind < y.kind; });
  ASSERT_EQ(backlog.size(), 2u);
  EXPECT_EQ(backlog[0].kind, "Cluster");
  EXPECT_EQ(backlog[0].pending, 2);
  EXPECT_EQ(backlog[0].stuck, 1);  // a: not reconciled since T(10), before T(60)
  EXPECT_EQ(backlog[0].oldest, T(10));
  EXPECT_EQ(backlog[1].kind, "NodePool");
  EXPECT_EQ(backlog[1].pending, 1);
  EXPECT_EQ(backlog[1].stuck, 1);
  EXPECT_EQ(backlog[1].oldest, T(50));
  EXPECT_EQ(HF_ASSERT_OK(Read()->GetReconcileBacklog(T(0))).at(0).stuck, 0);
}

TEST_P(StoreContract, DeleteRemovesRowLabelsConditionsAndStatuses) {
  auto r = MakeResource("Cluster", "c1");
  r.conditions = {MakeCondition("A", "True")};
  Insert(r);
  {
    auto tx = Write();
    model::AdapterStatus s{"Cluster", r.id, "dns", 1, {}, {}, std::nullopt, T(1), T(1)};
    HF_ASSERT_OK(tx->UpsertAdapterStatus(s));
    HF_ASSERT_OK(tx->DeleteResource(r.id));
    HF_ASSERT_OK(tx->Commit());
  }
  EXPECT_FALSE(Get(r.id));
  auto tx = Write();
  EXPECT_TRUE(HF_ASSERT_OK(tx->GetAdapterStatuses(r.id, {"dns"})).empty());
  auto again = tx->DeleteResource(r.id);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
  // Re-inserting the same id works: nothing was left behind.
  HF_ASSERT_OK(tx->InsertResource(r));
}

TEST_P(StoreContract, NamesAreUniqueAmongActiveResourcesOfAKind) {
  auto a = MakeResource("Cluster", "same");
  Insert(a);
  auto dup = TryInsert(MakeResource("Cluster", "same"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists) << dup.error().ToString();
  auto same_id = TryInsert(a);
  ASSERT_FALSE(same_id);
  EXPECT_EQ(same_id.error().code, ErrorCode::kAlreadyExists);
  Insert(MakeResource("NodePool", "same"));  // another kind
  a.deleted_time = T(5);
  a.deleted_by = "x";
  {
    auto tx = Write();
    HF_ASSERT_OK(tx->UpdateResource(a));
    HF_ASSERT_OK(tx->Commit());
  }
  Insert(MakeResource("Cluster", "same"));  // reusable after soft delete
}

TEST_P(StoreContract, ChildNamesAreUniquePerOwner) {
  auto p1 = MakeResource("Cluster", "p1");
  auto p2 = MakeResource("Cluster", "p2");
  Insert(p1);
  Insert(p2);
  auto child = [](const model::Resource& owner) {
    auto c = MakeResource("NodePool", "np");
    c.owner = model::ObjectRef{owner.id, owner.kind, owner.href};
    return c;
  };
  Insert(child(p1));
  Insert(child(p2));
  Insert(MakeResource("NodePool", "np"));  // a root with the same name
  auto dup = TryInsert(child(p1));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists);
}

TEST_P(StoreContract, TxWithoutCommitLeavesNothing) {
  auto r = MakeResource("Cluster", "ghost");
  {
    auto tx = Write();
    HF_ASSERT_OK(tx->InsertResource(r));
    HF_ASSERT_OK(tx->AppendOutbox(MakeEvent(r.id, 1)));
  }
  EXPECT_FALSE(Get(r.id));
  auto tx = Read();
  EXPECT_EQ(HF_ASSERT_OK(tx->ListOutbox({})).total, 0);
  EXPECT_EQ(HF_ASSERT_OK(tx->GetOutboxStats()).pending, 0);
}

// Writes that may wait for the next call or the commit (store.hpp) are all-or-nothing with
// their transaction, are seen by the transaction's own later reads, and a failed one fails the
// commit, leaves nothing, and does not spoil the store for the next transaction.
TEST_P(StoreContract, WritesSentWithTheCommitAreAllOrNothing) {
  auto r = MakeResource("Cluster", "queued");
  Insert(r);
  const model::AdapterStatus dns{"Cluster", r.id, "dns", 1, {}, {}, std::nullopt, T(1), T(1)};
  const std::vector<model::Condition> conditions = {MakeCondition("Reconciled", "True")};
  {
    auto tx = Write();
    HF_ASSERT_OK(tx->UpsertAdapterStatus(dns));
    HF_ASSERT_OK(tx->ReplaceConditions(r.id, conditions));
  }  // no commit
  EXPECT_TRUE(HF_ASSERT_OK(Read()->GetAdapterStatuses(r.id, {"dns"})).empty());
  EXPECT_TRUE(Get(r.id)->conditions.empty());
  {
    auto tx = Write();
    HF_ASSERT_OK(tx->UpsertAdapterStatus(dns));
    HF_ASSERT_OK(tx->ReplaceConditions(r.id, conditions));
    EXPECT_EQ(HF_ASSERT_OK(tx->GetAdapterStatuses(r.id, {"dns"})).size(), 1u);
    EXPECT_EQ(HF_ASSERT_OK(tx->GetResource(r.id))->conditions.size(), 1u);
    HF_ASSERT_OK(tx->Commit());
  }
  EXPECT_EQ(HF_ASSERT_OK(Read()->GetAdapterStatuses(r.id, {"dns"})).size(), 1u);
  {
    auto tx = Write();
    HF_ASSERT_OK(tx->ReplaceConditions(r.id, {}));
    auto orphan = dns;
    orphan.resource_id = NewUuidV7();  // breaks a foreign key
    auto failed = tx->UpsertAdapterStatus(orphan);
    if (failed) failed = tx->Commit();
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, ErrorCode::kInternal);
  }
  EXPECT_EQ(Get(r.id)->conditions.size(), 1u) << "a write of the failed transaction landed";
  {
    auto tx = Write();
    HF_ASSERT_OK(tx->ReplaceConditions(r.id, {}));
    HF_ASSERT_OK(tx->Commit());
  }
  EXPECT_TRUE(Get(r.id)->conditions.empty());
}

TEST_P(StoreContract, ListResourcesPagesWithoutGapsOrDuplicates) {
  std::set<std::string> all;
  for (int i = 0; i < 23; ++i) {
    // Pairs share a created_time, so the id tie-breaker matters.
    auto r = MakeResource("Cluster", "c" + std::to_string(100 + i), T(i / 2));
    all.insert(r.id);
    Insert(r);
  }
  Insert(MakeResource("NodePool", "other-kind"));
  std::vector<std::string> seen;
  for (int64_t offset = 0; offset < 30; offset += 7) {
    auto tx = Read();
    ResourceQuery q{.kind = "Cluster", .offset = offset, .limit = 7};
    auto page = HF_ASSERT_OK(tx->ListResources(q));
    EXPECT_EQ(page.total, 23);
    for (const auto& r : page.items) {
      seen.push_back(r.id);
      EXPECT_EQ(r.labels.at("env"), "prod");  // labels come with the page
    }
  }
  EXPECT_EQ(seen.size(), 23u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), all);

  auto tx = Read();
  // Default order: newest first.
  auto newest = HF_ASSERT_OK(tx->ListResources({.kind = "Cluster", .limit = 1}));
  EXPECT_EQ(newest.items.at(0).created_time, T(11));
  auto by_name = HF_ASSERT_OK(
      tx->ListResources({.kind = "Cluster", .order = {{"name", true}}, .offset = 0, .limit = 3}));
  ASSERT_EQ(by_name.items.size(), 3u);
  EXPECT_EQ(by_name.items[0].name, "c122");
  EXPECT_EQ(by_name.items[2].name, "c120");
  auto bad = tx->ListResources({.kind = "Cluster", .order = {{"spec; drop table x", false}}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

TEST_P(StoreContract, ListResourcesAppliesFilterAndOwnerScope) {
  auto parent = MakeResource("Cluster", "alpha");
  Insert(parent);
  auto beta = MakeResource("Cluster", "be'ta?");
  beta.labels = {{"env", "dev"}};
  Insert(beta);
  auto np = MakeResource("NodePool", "np1");
  np.owner = model::ObjectRef{parent.id, "Cluster", parent.href};
  Insert(np);
  Insert(MakeResource("NodePool", "np-root"));

  auto tx = Read();
  auto by_name =
      HF_ASSERT_OK(tx->ListResources({.kind = "Cluster", .filter = Search("name = 'alpha'")}));
  ASSERT_EQ(by_name.total, 1);
  EXPECT_EQ(by_name.items.at(0).id, parent.id);

  auto by_label = HF_ASSERT_OK(tx->ListResources(
      {.kind = "Cluster",
       .filter = Search("labels.env = 'dev' and name != 'x?y' and generation >= 1")}));
  ASSERT_EQ(by_label.total, 1);
  EXPECT_EQ(by_label.items.at(0).name, "be'ta?");
  EXPECT_EQ(
      HF_ASSERT_OK(tx->ListResources({.kind = "Cluster", .filter = Search("name = 'be''ta?'")}))
          .total,
      1);

  auto owned = HF_ASSERT_OK(tx->ListResources({.kind = "NodePool", .owner_id = parent.id}));
  ASSERT_EQ(owned.total, 1);
  EXPECT_EQ(owned.items.at(0).id, np.id);
  EXPECT_EQ(HF_ASSERT_OK(tx->ListResources({.kind = "NodePool"})).total, 2);
  auto owned_and_filtered = HF_ASSERT_OK(tx->ListResources(
      {.kind = "NodePool", .owner_id = parent.id, .filter = Search("name = 'np-root'")}));
  EXPECT_EQ(owned_and_filtered.total, 0);

  auto bad = tx->ListResources(
      {.kind = "Cluster",
       .filter = search::Filter{
           .term = search::ColumnTerm{.column = "no_such_column",
                                      .comparison = {.op = search::CompareOp::kIsNull}}}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
}

// Every form of the search language, run on the backend's own SQL: both dialects must select the
// same rows (and mean what the SQL shapes in tests/store/search_sql_test.cpp claim).
class StoreSearch : public StoreContract {
 protected:
  void SetUp() override {
    StoreContract::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const auto time = [](const char* text) { return *ParseTime(text); };
    const auto condition = [&](const char* status, int64_t generation, const char* updated) {
      return model::Condition{"Reconciled",  status,        "",           "", generation,
                              time(updated), time(updated), time(updated)};
    };
    auto alpha = MakeResource("Cluster", "alpha", time("2026-01-01T00:00:00Z"));
    alpha.spec = {{"region", "us-east-1"}, {"replicas", 3}, {"release", {{"version", "4.15"}}}};
    alpha.labels = {{"env", "prod"}, {"app.kubernetes.io/name", "web"}};
    alpha.conditions = {condition("True", 1, "2026-03-06T10:00:00Z")};
    auto beta = MakeResource("Cluster", "Beta", time("2026-02-01T00:00:00Z"));
    beta.generation = 2;
    beta.spec = {{"region", "eu-west-1"}, {"replicas", 12}};
    beta.labels = {{"env", "dev"}};
    beta.conditions = {condition("False", 1, "2026-03-06T15:00:00Z")};
    beta.deleted_time = time("2026-03-01T00:00:00Z");
    beta.deleted_by = "u";
    auto pool = MakeResource("NodePool", "a_b*c", time("2026-03-01T12:00:00Z"));
    pool.generation = 5;
    pool.spec = {{"replicas", 7.5}};
    pool.labels = {{"tier", "gold"}};
    pool.owner = model::ObjectRef{alpha.id, "Cluster", alpha.href};
    pool.conditions = {condition("True", 5, "2026-03-06T16:00:00Z")};
    alpha_id_ = alpha.id;
    for (const auto& r : {alpha, beta, pool}) Insert(r);
  }

  // Names of the resources `search` selects, oldest first (alpha, Beta, a_b*c).
  std::string Names(std::string_view search) {
    auto filter = search::ParseSearch(search);
    if (!filter) return "error: " + filter.error().message;
    auto tx = Read();
    std::string names;
    for (const char* kind : {"Cluster", "NodePool"}) {
      auto page = tx->ListResources({.kind = kind, .filter = *filter, .order = {{"created_time"}}});
      if (!page) return "list failed: " + page.error().ToString();
      for (const auto& r : page->items) names += (names.empty() ? "" : ",") + r.name;
    }
    return names;
  }

  std::string alpha_id_;
};

TEST_P(StoreSearch, PlainColumns) {
  EXPECT_EQ(Names(""), "alpha,Beta,a_b*c");
  EXPECT_EQ(Names("kind = 'Cluster'"), "alpha,Beta");
  EXPECT_EQ(Names("generation >= 2"), "Beta,a_b*c");
  EXPECT_EQ(Names("generation between 2 and 4"), "Beta");
  EXPECT_EQ(Names("generation != 1"), "Beta,a_b*c");
  EXPECT_EQ(Names("name in ('alpha', 'a_b*c')"), "alpha,a_b*c");
  EXPECT_EQ(Names("deleted_time is null"), "alpha,a_b*c");
  EXPECT_EQ(Names("deleted_by is not null"), "Beta");
  EXPECT_EQ(Names("owner_id = '" + alpha_id_ + "' and owner_kind = 'Cluster'"), "a_b*c");
  EXPECT_EQ(Names("created_time > '2026-01-15T00:00:00Z'"), "Beta,a_b*c");
  EXPECT_EQ(Names("created_time >= '2026-03-01T13:00:00+01:00'"), "a_b*c");
  EXPECT_EQ(Names("created_time < '2026-02-01'"), "alpha");
  EXPECT_EQ(Names("created_time in ['2026-02-01T00:00:00Z', '2026-03-01T12:00:00Z']"),
            "Beta,a_b*c");
  EXPECT_EQ(Names("deleted_time between '2026-02-15' and '2026-03-15'"), "Beta");
}

TEST_P(StoreSearch, LikeIsCaseSensitiveAndIlikeIsNot) {
  EXPECT_EQ(Names("name like 'b%'"), "");
  EXPECT_EQ(Names("name like 'B%'"), "Beta");
  EXPECT_EQ(Names("name ilike 'b%'"), "Beta");
  EXPECT_EQ(Names("name like '_lpha'"), "alpha");
  EXPECT_EQ(Names(R"(name like 'a\_b*%')"), "a_b*c");  // escaped _ and a literal *
  EXPECT_EQ(Names(R"(name like 'a\_b\*c')"), "a_b*c");
  EXPECT_EQ(Names("name like 'a?b%'"), "");    // ? is not a wildcard
  EXPECT_EQ(Names("name like 'a[_]b%'"), "");  // nor are brackets
  EXPECT_EQ(Names(R"(name ilike 'A\_%')"), "a_b*c");
}

TEST_P(StoreSearch, Labels) {
  EXPECT_EQ(Names("labels.env = 'prod'"), "alpha");
  EXPECT_EQ(Names("labels.env != 'prod'"), "Beta");  // resources without the label never match
  EXPECT_EQ(Names("labels.env in ['prod', 'dev']"), "alpha,Beta");
  EXPECT_EQ(Names("labels.env is null"), "a_b*c");
  EXPECT_EQ(Names("labels.env is not null"), "alpha,Beta");
  EXPECT_EQ(Names("labels.app.kubernetes.io/name = 'web'"), "alpha");
  EXPECT_EQ(Names("labels.env like 'd%' or labels.tier = 'gold'"), "Beta,a_b*c");
  EXPECT_EQ(Names("labels.env ilike 'PROD'"), "alpha");
}

TEST_P(StoreSearch, Spec) {
  EXPECT_EQ(Names("spec.region = 'us-east-1'"), "alpha");
  EXPECT_EQ(Names("spec.region like '%-1'"), "alpha,Beta");
  EXPECT_EQ(Names("spec.replicas > 5"), "Beta,a_b*c");  // numeric, not text, comparison
  EXPECT_EQ(Names("spec.replicas >= 7.5"), "Beta,a_b*c");
  EXPECT_EQ(Names("spec.replicas in [3, 12]"), "alpha,Beta");
  EXPECT_EQ(Names("spec.replicas between 4 and 10"), "a_b*c");
  EXPECT_EQ(Names("spec.release.version = '4.15'"), "alpha");
  EXPECT_EQ(Names("spec.release.version is null"), "Beta,a_b*c");
}

TEST_P(StoreSearch, Conditions) {
  EXPECT_EQ(Names("status.conditions.Reconciled = 'True'"), "alpha,a_b*c");
  EXPECT_EQ(Names("status.conditions.Reconciled = 'False'"), "Beta");
  EXPECT_EQ(Names("status.conditions.Available = 'True'"), "");
  EXPECT_EQ(Names("status.conditions.Reconciled = 'True' and "
                  "status.conditions.Reconciled.last_updated_time < '2026-03-06T14:00:00Z'"),
            "alpha");
  EXPECT_EQ(Names("status.conditions.Reconciled.last_transition_time >= "
                  "'2026-03-06T16:00:00+01:00'"),
            "Beta,a_b*c");
  EXPECT_EQ(Names("status.conditions.Reconciled.observed_generation >= 2"), "a_b*c");
}

// The Reconciled searches read a copy of the condition kept on the resource row (migrations
// 0003): every write path must keep it equal to the condition itself.
TEST_P(StoreSearch, ReconciledCopyFollowsEveryWrite) {
  const char* kFalse = "status.conditions.Reconciled = 'False'";
  const char* kStale = "status.conditions.Reconciled.last_updated_time < '2026-03-06T15:30:00Z'";
  auto alpha = *Get(alpha_id_);
  alpha.conditions.at(0).status = "False";
  {
    auto tx = Write();
    HF_ASSERT_OK(tx->UpdateResource(alpha));
    HF_ASSERT_OK(tx->Commit());
  }
  EXPECT_EQ(Names(kFalse), "alpha,Beta");
  auto later = alpha.conditions;
  later.at(0).status = "True";
  later.at(0).last_updated_time = *ParseTime("2026-03-06T17:00:00Z");
  later.insert(later.begin(), MakeCondition("Available", "True"));  // not first in the list
  {
    auto tx = Write();
    HF_ASSERT_OK(tx->ReplaceConditions(alpha.id, later));
    HF_ASSERT_OK(tx->Commit());
  }
  EXPECT_EQ(Names(kFalse), "Beta");
  EXPECT_EQ(Names(kStale), "Beta");
  EXPECT_EQ(Names("status.conditions.Reconciled = 'True'"), "alpha,a_b*c");
  {
    auto tx = Write();
    HF_ASSERT_OK(tx->ReplaceConditions(alpha.id, {MakeCondition("Available", "True")}));
    HF_ASSERT_OK(tx->Commit());
  }
  EXPECT_EQ(Names("status.conditions.Reconciled = 'True'"), "a_b*c");
  EXPECT_EQ(Names(kStale), "Beta");  // no Reconciled condition: neither stale nor fresh
  EXPECT_EQ(Names("status.conditions.Available = 'True'"), "alpha");
}

// The totals of every resource of a kind and of a kind with one Reconciled status are kept on
// write (migrations 0004), not counted: after each kind of write they must equal a count, here
// the total of the same list with a filter the store cannot answer from its kept counts.
TEST_P(StoreSearch, KeptTotalsEqualCountsAfterEveryWrite) {
  const auto total = [&](const std::string& kind, const std::string& search) -> int64_t {
    auto tx = Read();
    // size 1: the page is full (or past the end), so the store reports a total it did not see.
    auto page =
        tx->ListResources({.kind = kind,
                           .filter = search.empty() ? std::nullopt : std::optional(Search(search)),
                           .offset = 1,
                           .limit = 1});
    EXPECT_TRUE(page) << page.error().ToString();
    return page ? page->total : -1;
  };
  const auto check = [&](const std::string& when) {
    for (const char* kind : {"Cluster", "NodePool"}) {
      EXPECT_EQ(total(kind, ""), total(kind, "generation >= 0")) << kind << ", " << when;
      for (const char* status : {"True", "False", "Unknown"}) {
        const std::string kept = std::string("status.conditions.Reconciled = '") + status + "'";
        EXPECT_EQ(total(kind, kept), total(kind, kept + " and generation >= 0"))
            << kind << " " << status << ", " << when;
      }
    }
  };
  check("seeded");
  EXPECT_EQ(total("Cluster", ""), 2);
  EXPECT_EQ(total("Cluster", "status.conditions.Reconciled = 'False'"), 1);
  auto alpha = *Get(alpha_id_);
  alpha.conditions.at(0).status = "False";
  {
    auto tx = Write();
    HF_ASSERT_OK(tx->UpdateResource(alpha));
    HF_ASSERT_OK(tx->Commit());
  }
  check("after an update");
  EXPECT_EQ(total("Cluster", "status.conditions.Reconciled = 'False'"), 2);
  {
    auto tx = Write();
    HF_ASSERT_OK(tx->ReplaceConditions(alpha.id, {MakeCondition("Reconciled", "Unknown")}));
    HF_ASSERT_OK(tx->Commit());
  }
  check("after replacing conditions");
  EXPECT_EQ(total("Cluster", "status.conditions.Reconciled = 'Unknown'"), 1);
  {
    auto tx = Write();  // rolled back: the kept counts must not move either
    HF_ASSERT_OK(tx->DeleteResource(alpha.id));
  }
  check("after a rollback");
  // More writes than a count sums before it folds them (PostgreSQL), in one transaction; twice,
  // so that the second fold adds to counts the first one wrote.
  {
    auto tx = Write();
    HF_ASSERT_OK(tx->DeleteResource(alpha.id));
    HF_ASSERT_OK(tx->Commit());
  }
  for (int round = 1; round <= 2; ++round) {
    auto tx = Write();
    for (int i = 0; i < 1100; ++i) {
      auto r = MakeResource("Cluster", "bulk-" + std::to_string(round) + "-" + std::to_string(i));
      r.conditions = {MakeCondition("Reconciled", i % 2 == 0 ? "False" : "True")};
      HF_ASSERT_OK(tx->InsertResource(r));
    }
    HF_ASSERT_OK(tx->Commit());
    tx.reset();
    // Beta and 550 a round; this read folds.
    EXPECT_EQ(total("Cluster", "status.conditions.Reconciled = 'False'"), 1 + 550 * round);
    check("after bulk insert and fold " + std::to_string(round));
    EXPECT_EQ(total("Cluster", ""), 1 + 1100 * round);
  }
  // The same totals per kind and status, as the metrics read them.
  auto counts = HF_ASSERT_OK(Read()->CountResources());
  std::map<std::string, int64_t> by_key;
  for (const auto& c : counts) by_key[c.kind + "/" + c.reconciled] = c.count;
  EXPECT_EQ(by_key, (std::map<std::string, int64_t>{
                        {"Cluster/False", 1101}, {"Cluster/True", 1100}, {"NodePool/True", 1}}));
}

// Keyset paging as the ticker walks (order=id, id > last): every matching row once, in id
// order, whatever is created or deleted between pages.
TEST_P(StoreSearch, KeysetPagesByIdSurviveChangesBetweenPages) {
  std::set<std::string> expected;
  for (int i = 0; i < 12; ++i) {
    auto r = MakeResource("Cluster", "k" + std::to_string(i));
    r.conditions = {MakeCondition("Reconciled", i % 3 == 0 ? "True" : "False")};
    Insert(r);
    if (i % 3 != 0) expected.insert(r.id);
  }
  std::vector<std::string> walked;
  std::string after;
  for (int page_no = 0; page_no < 20; ++page_no) {
    std::string query = "status.conditions.Reconciled = 'False' and labels.env = 'prod'";
    if (!after.empty()) query += " and id > '" + after + "'";
    auto tx = Read();
    auto page = HF_ASSERT_OK(tx->ListResources(
        {.kind = "Cluster", .filter = Search(query), .order = {{"id"}}, .limit = 3}));
    tx.reset();
    for (const auto& r : page.items) walked.push_back(r.id);
    if (page.items.size() < 3) break;
    after = page.items.back().id;
    if (page_no == 0) {  // delete one already seen and one not yet seen; add one
      const std::string ahead = *std::next(expected.begin(), 5);
      {
        auto write = Write();
        HF_ASSERT_OK(write->DeleteResource(walked.front()));
        HF_ASSERT_OK(write->DeleteResource(ahead));
        HF_ASSERT_OK(write->Commit());
      }
      expected.erase(ahead);
      auto r = MakeResource("Cluster", "k-new");
      r.conditions = {MakeCondition("Reconciled", "False")};
      Insert(r);
      expected.insert(r.id);  // a UUIDv7 made now sorts after every id before it
    }
  }
  EXPECT_TRUE(std::ranges::is_sorted(walked));
  EXPECT_EQ(std::set<std::string>(walked.begin(), walked.end()), expected);
  EXPECT_EQ(walked.size(), expected.size());
}

TEST_P(StoreSearch, LogicAndHostileValues) {
  EXPECT_EQ(Names("not kind = 'Cluster' or generation = 1"), "alpha,a_b*c");
  EXPECT_EQ(Names("not (kind = 'Cluster' or generation = 1)"), "a_b*c");
  EXPECT_EQ(Names("(labels.env = 'prod' or labels.env = 'dev') and deleted_time is not null"),
            "Beta");
  EXPECT_EQ(Names("name = 'x''; DROP TABLE resources; --'"), "");
  EXPECT_EQ(Names("name = ''' OR ''1''=''1'"), "");
  EXPECT_EQ(Names("spec.region = '$1' or labels.env = '?'"), "");
  EXPECT_EQ(Names(""), "alpha,Beta,a_b*c");  // the table is still there
}

TEST_P(StoreContract, ListChildrenReturnsActiveAndDeletedOldestFirst) {
  auto parent = MakeResource("Cluster", "p");
  Insert(parent);
  std::vector<std::string> ids;
  for (int i = 3; i >= 1; --i) {
    auto c = MakeResource("NodePool", "np" + std::to_string(i), T(i));
    c.owner = model::ObjectRef{parent.id, "Cluster", parent.href};
    if (i == 2) c.deleted_time = T(50);
    Insert(c);
    ids.insert(ids.begin(), c.id);
  }
  auto tx = Write();
  auto children = HF_ASSERT_OK(tx->ListChildren(parent.id, Lock::kForUpdate));
  ASSERT_EQ(children.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(children[i].id, ids[i]);
  EXPECT_TRUE(children[1].Deleting());
  EXPECT_EQ(children[0].labels.at("team"), "core");
  EXPECT_TRUE(HF_ASSERT_OK(tx->ListChildren(NewUuidV7(), Lock::kNone)).empty());
  auto locked = HF_ASSERT_OK(tx->GetResource(parent.id, Lock::kForUpdate));
  EXPECT_TRUE(locked);
}

TEST_P(StoreContract, AdapterStatusUpsertKeepsCreatedTimeAndReplacesTheRest) {
  auto r = MakeResource("Cluster", "c1");
  Insert(r);
  model::AdapterStatus first{"Cluster",
                             r.id,
                             "dns",
                             1,
                             {{"Available", "False", "Starting", "wait", T(1, 5)}},
                             {{"k", "v"}},
                             nlohmann::json{{"m", 1}},
                             T(1, 5),
                             T(1, 5)};
  model::AdapterStatus second{
      "Cluster",
      r.id,
      "dns",
      2,
      {{"Available", "True", "Done", "ok", T(2, 6)}, {"Applied", "True", "", "", T(2, 6)}},
      nlohmann::json::object(),
      std::nullopt,
      T(2, 6),
      T(2, 6)};
  model::AdapterStatus other{"Cluster",  r.id,         "validation", 1,   {},
                             {{"x", 1}}, std::nullopt, T(3),         T(3)};
  {
    auto tx = Write();
    HF_ASSERT_OK(tx->UpsertAdapterStatus(first));
    HF_ASSERT_OK(tx->Commit());
  }
  {
    auto tx = Write();
    HF_ASSERT_OK(tx->UpsertAdapterStatus(second));
    HF_ASSERT_OK(tx->UpsertAdapterStatus(other));
    HF_ASSERT_OK(tx->Commit());
  }
  auto tx = Read();
  auto all = HF_ASSERT_OK(tx->GetAdapterStatuses(r.id, {"dns", "validation", "placement"}));
  ASSERT_EQ(all.size(), 2u);
  const auto& dns = all[0].adapter == "dns" ? all[0] : all[1];
  EXPECT_EQ(dns.created_time, T(1, 5));
  EXPECT_EQ(dns.last_report_time, T(2, 6));
  EXPECT_EQ(dns.observed_generation, 2);
  EXPECT_EQ(dns.conditions, second.conditions);
  EXPECT_EQ(dns.data, nlohmann::json::object());
  EXPECT_FALSE(dns.metadata);
  EXPECT_EQ(dns.resource_type, "Cluster");

  auto page = HF_ASSERT_OK(tx->ListAdapterStatuses(r.id, 1, 1));
  EXPECT_EQ(page.total, 2);
  ASSERT_EQ(page.items.size(), 1u);
  auto first_page = HF_ASSERT_OK(tx->ListAdapterStatuses(r.id, 0, 1));
  ASSERT_EQ(first_page.items.size(), 1u);
  EXPECT_NE(first_page.items[0].adapter, page.items[0].adapter);
  EXPECT_EQ(HF_ASSERT_OK(tx->ListAdapterStatuses(NewUuidV7(), 0, 10)).total, 0);
  // Totals told by a partial page, and counted past the end.
  EXPECT_EQ(HF_ASSERT_OK(tx->ListAdapterStatuses(r.id, 0, 10)).total, 2);
  EXPECT_EQ(HF_ASSERT_OK(tx->ListAdapterStatuses(r.id, 1, 10)).total, 2);
  auto past = HF_ASSERT_OK(tx->ListAdapterStatuses(r.id, 5, 10));
  EXPECT_TRUE(past.items.empty());
  EXPECT_EQ(past.total, 2);
}

// A report reads only the rows it needs, so other adapters' rows (however many, however big)
// cost it nothing.
TEST_P(StoreContract, GetAdapterStatusesReadsOnlyTheNamedAdapters) {
  auto r = MakeResource("Cluster", "c1");
  auto other = MakeResource("Cluster", "c2");
  Insert(r);
  Insert(other);
  {
    auto tx = Write();
    for (const std::string name : {"dns", "validation", "junk-1", "junk-2"}) {
      HF_ASSERT_OK(
          tx->UpsertAdapterStatus({"Cluster", r.id, name, 1, {}, {}, std::nullopt, T(1), T(1)}));
    }
    HF_ASSERT_OK(
        tx->UpsertAdapterStatus({"Cluster", other.id, "dns", 1, {}, {}, std::nullopt, T(1), T(1)}));
    HF_ASSERT_OK(tx->Commit());
  }
  auto tx = Read();
  auto got = HF_ASSERT_OK(tx->GetAdapterStatuses(r.id, {"validation", "dns", "placement"}));
  std::set<std::string> names;
  for (const auto& s : got) {
    EXPECT_EQ(s.resource_id, r.id);
    names.insert(s.adapter);
  }
  EXPECT_EQ(got.size(), 2u);
  EXPECT_EQ(names, (std::set<std::string>{"dns", "validation"}));
  EXPECT_TRUE(HF_ASSERT_OK(tx->GetAdapterStatuses(r.id, {})).empty());
  EXPECT_TRUE(HF_ASSERT_OK(tx->GetAdapterStatuses(r.id, {"placement"})).empty());
}

// A status report's two reads, sent together: the same answers as the two reads, after the
// writes queued before them in the transaction.
TEST_P(StoreContract, GetResourceWithStatusesAnswersAsTheTwoReads) {
  auto r = MakeResource("Cluster", "c1");
  Insert(r);
  {
    auto tx = Write();
    HF_ASSERT_OK(
        tx->UpsertAdapterStatus({"Cluster", r.id, "dns", 1, {}, {}, std::nullopt, T(1), T(1)}));
    HF_ASSERT_OK(
        tx->UpsertAdapterStatus({"Cluster", r.id, "junk", 1, {}, {}, std::nullopt, T(1), T(1)}));
    auto both = HF_ASSERT_OK(tx->GetResourceWithStatuses(r.id, Lock::kForUpdate, {"dns", "x"}));
    ASSERT_TRUE(both.resource);
    EXPECT_EQ(both.resource->id, r.id);
    EXPECT_EQ(both.resource->name, "c1");
    ASSERT_EQ(both.statuses.size(), 1u);
    EXPECT_EQ(both.statuses[0].adapter, "dns");
    auto alone = HF_ASSERT_OK(tx->GetResourceWithStatuses(r.id, Lock::kNone, {}));
    ASSERT_TRUE(alone.resource);
    EXPECT_TRUE(alone.statuses.empty());
    auto missing =
        HF_ASSERT_OK(tx->GetResourceWithStatuses(NewUuidV7(), Lock::kForUpdate, {"dns"}));
    EXPECT_FALSE(missing.resource);
    EXPECT_TRUE(missing.statuses.empty());
    HF_ASSERT_OK(tx->Commit());
  }
  EXPECT_EQ(HF_ASSERT_OK(Read()->GetAdapterStatuses(r.id, {"dns", "junk"})).size(), 2u);
}

// Each event takes its resource's next event_sequence, which a read of the resource shows; under
// concurrent writers the numbers are 1..n without gaps or repeats (each taken under the row's
// lock).
TEST_P(StoreContract, EventsNumberTheirResourcesEventsInCommitOrder) {
  auto r = MakeResource("Cluster", "numbered");
  Insert(r);
  EXPECT_EQ(Get(r.id)->event_sequence, 0);
  const std::string gone = NewUuidV7();
  {
    auto tx = Write();
    HF_ASSERT_OK(tx->AppendOutbox(MakeEvent(r.id, 1)));
    HF_ASSERT_OK(tx->AppendOutbox(MakeEvent(gone, 1)));  // no such resource: no number
    HF_ASSERT_OK(tx->AppendOutbox(MakeEvent(r.id, 1)));
    HF_ASSERT_OK(tx->Commit());
  }
  EXPECT_EQ(Get(r.id)->event_sequence, 2);
  {
    auto tx = Read();
    auto none = HF_ASSERT_OK(tx->ListOutbox({.aggregate_id = gone}));
    ASSERT_EQ(none.items.size(), 1u);
    EXPECT_FALSE(none.items[0].aggregate_sequence);
  }
  {
    auto tx = Write();  // rolled back: its number is taken again
    HF_ASSERT_OK(tx->AppendOutbox(MakeEvent(r.id, 1)));
  }
  constexpr int kThreads = 6, kEach = 5;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        auto w = store_->Begin(TxMode::kWrite);
        ASSERT_TRUE(w);
        ASSERT_TRUE((*w)->AppendOutbox(MakeEvent(r.id, 1)));
        ASSERT_TRUE((*w)->Commit());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(Get(r.id)->event_sequence, 2 + kThreads * kEach);
  auto tx = Read();
  auto events = HF_ASSERT_OK(tx->ListOutbox({.aggregate_id = r.id, .limit = 100}));
  ASSERT_EQ(events.items.size(), 2u + kThreads * kEach);
  std::vector<int64_t> numbers;
  for (const auto& e : events.items) {
    ASSERT_TRUE(e.aggregate_sequence);
    numbers.push_back(*e.aggregate_sequence);
  }
  std::sort(numbers.begin(), numbers.end());
  for (size_t k = 0; k < numbers.size(); ++k) EXPECT_EQ(numbers[k], static_cast<int64_t>(k) + 1);
}

TEST_P(StoreContract, OutboxLifecycle) {
  const std::string agg = NewUuidV7();
  const std::vector<model::OutboxEvent> appended = {
      MakeEvent(agg, 1, T(1)), MakeEvent(agg, 2, T(2)), MakeEvent("other", 1, T(3))};
  {
    auto tx = Write();
    for (const auto& e : appended) HF_ASSERT_OK(tx->AppendOutbox(e));
    HF_ASSERT_OK(tx->Commit());
  }
  int64_t id1 = 0, id2 = 0, id3 = 0;
  {
    auto all = HF_ASSERT_OK(Read()->ListOutbox({}));  // in id order: the order of appending
    ASSERT_EQ(all.items.size(), 3u);
    for (size_t k = 0; k < 3; ++k) EXPECT_EQ(all.items[k].event_id, appended[k].event_id);
    id1 = all.items[0].id;
    id2 = all.items[1].id;
    id3 = all.items[2].id;
  }
  EXPECT_LT(id1, id2);
  EXPECT_LT(id2, id3);
  auto tx = Write();
  auto pending = HF_ASSERT_OK(tx->FindPendingOutbox(agg, 2));
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->id, id2);
  EXPECT_EQ(pending->payload, R"({"specversion":"1.0"})");
  EXPECT_EQ(pending->created_time, T(2));
  EXPECT_FALSE(HF_ASSERT_OK(tx->FindPendingOutbox(agg, 3)));

  auto claimed = HF_ASSERT_OK(tx->ClaimOutbox(2, T(10)));
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[0].id, id1);
  EXPECT_EQ(claimed[1].id, id2);
  EXPECT_TRUE(HF_ASSERT_OK(tx->ClaimOutbox(10, T(0))).empty());  // nothing due yet

  HF_ASSERT_OK(tx->MarkFailed(id1, "broker down", T(100)));
  HF_ASSERT_OK(tx->MarkPublished({id2}, T(20, 1)));
  auto due = HF_ASSERT_OK(tx->ClaimOutbox(10, T(50)));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].id, id3);
  due = HF_ASSERT_OK(tx->ClaimOutbox(10, T(100)));
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].id, id1);
  EXPECT_EQ(due[0].attempts, 1);
  EXPECT_EQ(due[0].last_error, "broker down");
  EXPECT_EQ(due[0].next_attempt_time, T(100));
  EXPECT_FALSE(HF_ASSERT_OK(tx->FindPendingOutbox(agg, 2)));  // published
  HF_ASSERT_OK(tx->Commit());
  tx.reset();  // a Tx holds its connection until destroyed (the only one, for SQLite writes)

  auto rtx = Read();
  auto published = HF_ASSERT_OK(rtx->ListOutbox({.published = true}));
  ASSERT_EQ(published.total, 1);
  EXPECT_EQ(published.items.at(0).id, id2);
  EXPECT_EQ(published.items.at(0).published_time, T(20, 1));
  auto unpublished = HF_ASSERT_OK(rtx->ListOutbox({.published = false}));
  EXPECT_EQ(unpublished.total, 2);
  auto of_agg = HF_ASSERT_OK(rtx->ListOutbox({.aggregate_id = agg, .offset = 1, .limit = 5}));
  EXPECT_EQ(of_agg.total, 2);
  ASSERT_EQ(of_agg.items.size(), 1u);
  EXPECT_EQ(of_agg.items[0].id, id2);
  auto stats = HF_ASSERT_OK(rtx->GetOutboxStats());
  EXPECT_EQ(stats.pending, 2);
  EXPECT_EQ(stats.oldest_pending_created, T(1));
  EXPECT_EQ(stats.last_id, id3);
  // after_id and aggregate_type narrow the list, in id order; without the total (0).
  store::OutboxQuery tail;
  tail.after_id = id1;
  tail.with_total = false;
  auto after = HF_ASSERT_OK(rtx->ListOutbox(tail));
  ASSERT_EQ(after.items.size(), 2u);
  EXPECT_EQ(after.items[0].id, id2);
  EXPECT_EQ(after.items[1].id, id3);
  EXPECT_EQ(after.total, 0);
  tail.aggregate_type = "NodePool";
  tail.with_total = true;
  EXPECT_EQ(HF_ASSERT_OK(rtx->ListOutbox(tail)).total, 0);
  tail.aggregate_type = "Cluster";
  EXPECT_EQ(HF_ASSERT_OK(rtx->ListOutbox(tail)).total, 2);
  rtx.reset();

  auto wtx = Write();
  EXPECT_EQ(HF_ASSERT_OK(wtx->DeletePublishedBefore(T(20, 1), 100)), 0);  // strictly before
  EXPECT_EQ(HF_ASSERT_OK(wtx->DeletePublishedBefore(T(21), 100)), 1);
  HF_ASSERT_OK(wtx->MarkPublished({}, T(30)));
  HF_ASSERT_OK(wtx->Commit());
  wtx.reset();
  EXPECT_EQ(HF_ASSERT_OK(Read()->ListOutbox({})).total, 2);
}

TEST_P(StoreContract, WaitForOutboxWakesOnCommitAndTimesOutOtherwise) {
  using namespace std::chrono;
  auto start = steady_clock::now();
  EXPECT_FALSE(store_->WaitForOutbox(milliseconds(200)));
  EXPECT_GE(steady_clock::now() - start, milliseconds(150));

  std::thread writer([&] {
    std::this_thread::sleep_for(milliseconds(300));
    auto tx = store_->Begin(TxMode::kWrite);
    ASSERT_TRUE(tx);
    ASSERT_TRUE((*tx)->AppendOutbox(MakeEvent(NewUuidV7(), 1)));
    ASSERT_TRUE((*tx)->Commit());
  });
  start = steady_clock::now();
  bool woken = false;
  while (!woken && steady_clock::now() - start < seconds(5)) {
    woken = store_->WaitForOutbox(seconds(5));  // spurious wake-ups are allowed: check again
    if (woken && HF_ASSERT_OK(Read()->GetOutboxStats()).pending == 0) woken = false;
  }
  writer.join();
  EXPECT_TRUE(woken);
  EXPECT_LT(steady_clock::now() - start, seconds(3));
}

TEST_P(StoreContract, ErrorsAreValuesNotExceptions) {
  auto tx = Write();
  // The adapter status of a resource that does not exist breaks a foreign key.
  auto bad =
      tx->UpsertAdapterStatus({"Cluster", NewUuidV7(), "dns", 1, {}, {}, std::nullopt, T(1), T(1)});
  if (bad) bad = tx->Commit();  // PostgreSQL sends the write with the commit
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInternal);
  EXPECT_EQ(bad.error().message, "database error");
  EXPECT_FALSE(bad.error().detail.empty());
}

}  // namespace hf::store::contract
