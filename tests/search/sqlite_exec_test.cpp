// Runs compiled SQLite fragments against a real in-memory SQLite database, so the SQL is known
// to be valid and to mean what the exact-string tests claim. The test links nothing new: it
// loads the system libsqlite3 at run time and skips when it is absent.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "search/search.hpp"

namespace hf::search {
namespace {

// The few SQLite entry points the test uses, resolved from the shared library.
struct SqliteApi {
  decltype(&sqlite3_open) open = nullptr;
  decltype(&sqlite3_close) close = nullptr;
  decltype(&sqlite3_exec) exec = nullptr;
  decltype(&sqlite3_prepare_v2) prepare = nullptr;
  decltype(&sqlite3_bind_int64) bind_int64 = nullptr;
  decltype(&sqlite3_bind_double) bind_double = nullptr;
  decltype(&sqlite3_bind_text) bind_text = nullptr;
  decltype(&sqlite3_bind_null) bind_null = nullptr;
  decltype(&sqlite3_step) step = nullptr;
  decltype(&sqlite3_column_text) column_text = nullptr;
  decltype(&sqlite3_finalize) finalize = nullptr;
  decltype(&sqlite3_errmsg) errmsg = nullptr;

  // Loads libsqlite3; false if it or any symbol is missing.
  bool Load() {
    void* lib = dlopen("libsqlite3.so.0", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) return false;
    const auto get = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(lib, name));
      return fn != nullptr;
    };
    return get(open, "sqlite3_open") && get(close, "sqlite3_close") && get(exec, "sqlite3_exec") &&
           get(prepare, "sqlite3_prepare_v2") && get(bind_int64, "sqlite3_bind_int64") &&
           get(bind_double, "sqlite3_bind_double") && get(bind_text, "sqlite3_bind_text") &&
           get(bind_null, "sqlite3_bind_null") && get(step, "sqlite3_step") &&
           get(column_text, "sqlite3_column_text") && get(finalize, "sqlite3_finalize") &&
           get(errmsg, "sqlite3_errmsg");
  }
};

// The tables as the store's SQLite migrations lay them out (times as FormatTime text).
constexpr const char* kSchema = R"sql(
CREATE TABLE resources (id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, href TEXT,
  spec TEXT NOT NULL, generation INTEGER NOT NULL, owner_id TEXT, owner_kind TEXT, owner_href TEXT,
  created_time TEXT NOT NULL, updated_time TEXT NOT NULL, deleted_time TEXT,
  created_by TEXT NOT NULL, updated_by TEXT NOT NULL, deleted_by TEXT);
CREATE TABLE resource_labels (resource_id TEXT, key TEXT, value TEXT, PRIMARY KEY (resource_id, key));
CREATE TABLE resource_conditions (resource_id TEXT, type TEXT, status TEXT, reason TEXT, message TEXT,
  observed_generation INTEGER NOT NULL DEFAULT 0, created_time TEXT, last_updated_time TEXT,
  last_transition_time TEXT, PRIMARY KEY (resource_id, type));
INSERT INTO resources VALUES
 ('1','Cluster','alpha',NULL,'{"region":"us-east-1","replicas":3,"release":{"version":"4.15"}}',1,
  NULL,NULL,NULL,'2026-01-01T00:00:00.000000Z','2026-01-01T00:00:00.000000Z',NULL,'u','u',NULL),
 ('2','Cluster','Beta',NULL,'{"region":"eu-west-1","replicas":12}',2,
  NULL,NULL,NULL,'2026-02-01T00:00:00.000000Z','2026-02-01T00:00:00.000000Z',
  '2026-03-01T00:00:00.000000Z','u','u','u'),
 ('3','NodePool','a_b*c',NULL,'{"replicas":7.5}',5,'1','Cluster',NULL,
  '2026-03-01T12:00:00.000000Z','2026-03-01T12:00:00.000000Z',NULL,'u','u',NULL);
INSERT INTO resource_labels VALUES ('1','env','prod'),('1','app.kubernetes.io/name','web'),
  ('2','env','dev'),('3','tier','gold');
INSERT INTO resource_conditions VALUES
 ('1','Reconciled','True','','',1,NULL,'2026-03-06T10:00:00.000000Z','2026-03-06T10:00:00.000000Z'),
 ('2','Reconciled','False','','',1,NULL,'2026-03-06T15:00:00.000000Z','2026-03-06T15:00:00.000000Z'),
 ('3','Reconciled','True','','',5,NULL,'2026-03-06T16:00:00.000000Z','2026-03-06T16:00:00.000000Z');
)sql";

class SqliteExec : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!api_.Load()) GTEST_SKIP() << "libsqlite3.so.0 not available";
    ASSERT_EQ(api_.open(":memory:", &db_), SQLITE_OK);
    char* error = nullptr;
    ASSERT_EQ(api_.exec(db_, kSchema, nullptr, nullptr, &error), SQLITE_OK) << error;
  }
  void TearDown() override {
    if (db_ != nullptr) api_.close(db_);
  }

  // Names of the resources `search` selects, comma-separated in id order.
  std::string Names(std::string_view search) {
    auto fragment = CompileSearch(search, Dialect::kSqlite);
    if (!fragment) return "error: " + fragment.error().message;
    std::string sql = "SELECT r.name FROM resources r";
    if (!fragment->empty()) sql += " WHERE " + fragment->sql;
    sql += " ORDER BY r.id";
    sqlite3_stmt* stmt = nullptr;
    if (api_.prepare(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      return "prepare failed: " + std::string(api_.errmsg(db_)) + " in " + sql;
    }
    for (size_t i = 0; i < fragment->params.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      const SqlParam& param = fragment->params[i];
      if (const auto* text = std::get_if<std::string>(&param)) {
        api_.bind_text(stmt, index, text->c_str(), static_cast<int>(text->size()),
                       SQLITE_TRANSIENT);
      } else if (const auto* integer = std::get_if<int64_t>(&param)) {
        api_.bind_int64(stmt, index, *integer);
      } else if (const auto* real = std::get_if<double>(&param)) {
        api_.bind_double(stmt, index, *real);
      } else {
        api_.bind_null(stmt, index);
      }
    }
    std::string names;
    int rc;
    while ((rc = api_.step(stmt)) == SQLITE_ROW) {
      if (!names.empty()) names += ',';
      names += reinterpret_cast<const char*>(api_.column_text(stmt, 0));
    }
    if (rc != SQLITE_DONE) names = "step failed: " + std::string(api_.errmsg(db_));
    api_.finalize(stmt);
    return names;
  }

  SqliteApi api_;
  sqlite3* db_ = nullptr;
};

TEST_F(SqliteExec, PlainColumns) {
  EXPECT_EQ(Names(""), "alpha,Beta,a_b*c");
  EXPECT_EQ(Names("kind = 'Cluster'"), "alpha,Beta");
  EXPECT_EQ(Names("generation >= 2"), "Beta,a_b*c");
  EXPECT_EQ(Names("generation between 2 and 4"), "Beta");
  EXPECT_EQ(Names("name in ('alpha', 'a_b*c')"), "alpha,a_b*c");
  EXPECT_EQ(Names("deleted_time is null"), "alpha,a_b*c");
  EXPECT_EQ(Names("owner_id = '1' and owner_kind = 'Cluster'"), "a_b*c");
  EXPECT_EQ(Names("created_time > '2026-01-15T00:00:00Z'"), "Beta,a_b*c");
  EXPECT_EQ(Names("created_time >= '2026-03-01T13:00:00+01:00'"), "a_b*c");
  EXPECT_EQ(Names("created_time < '2026-02-01'"), "alpha");
}

TEST_F(SqliteExec, LikeIsCaseSensitiveAndIlikeIsNot) {
  EXPECT_EQ(Names("name like 'b%'"), "");
  EXPECT_EQ(Names("name like 'B%'"), "Beta");
  EXPECT_EQ(Names("name ilike 'b%'"), "Beta");
  EXPECT_EQ(Names("name like '_lpha'"), "alpha");
  EXPECT_EQ(Names(R"(name like 'a\_b*%')"), "a_b*c");  // escaped _ and a literal *
  EXPECT_EQ(Names(R"(name like 'a\_b\*c')"), "a_b*c");
  EXPECT_EQ(Names("name like 'a?b%'"), "");  // ? is not a wildcard
  EXPECT_EQ(Names(R"(name ilike 'A\_%')"), "a_b*c");
}

TEST_F(SqliteExec, Labels) {
  EXPECT_EQ(Names("labels.env = 'prod'"), "alpha");
  EXPECT_EQ(Names("labels.env != 'prod'"), "Beta");  // resources without the label never match
  EXPECT_EQ(Names("labels.env in ['prod', 'dev']"), "alpha,Beta");
  EXPECT_EQ(Names("labels.env is null"), "a_b*c");
  EXPECT_EQ(Names("labels.env is not null"), "alpha,Beta");
  EXPECT_EQ(Names("labels.app.kubernetes.io/name = 'web'"), "alpha");
  EXPECT_EQ(Names("labels.env like 'd%' or labels.tier = 'gold'"), "Beta,a_b*c");
}

TEST_F(SqliteExec, Spec) {
  EXPECT_EQ(Names("spec.region = 'us-east-1'"), "alpha");
  EXPECT_EQ(Names("spec.region like '%-1'"), "alpha,Beta");
  EXPECT_EQ(Names("spec.replicas > 5"), "Beta,a_b*c");  // numeric, not text, comparison
  EXPECT_EQ(Names("spec.replicas >= 7.5"), "Beta,a_b*c");
  EXPECT_EQ(Names("spec.replicas in [3, 12]"), "alpha,Beta");
  EXPECT_EQ(Names("spec.replicas between 4 and 10"), "a_b*c");
  EXPECT_EQ(Names("spec.release.version = '4.15'"), "alpha");
  EXPECT_EQ(Names("spec.release.version is null"), "Beta,a_b*c");
}

TEST_F(SqliteExec, Conditions) {
  EXPECT_EQ(Names("status.conditions.Reconciled = 'True'"), "alpha,a_b*c");
  EXPECT_EQ(Names("status.conditions.Reconciled = 'False'"), "Beta");
  EXPECT_EQ(Names("status.conditions.Available = 'True'"), "");
  EXPECT_EQ(Names("status.conditions.Reconciled = 'True' and "
                  "status.conditions.Reconciled.last_updated_time < '2026-03-06T14:00:00Z'"),
            "alpha");
  EXPECT_EQ(Names("status.conditions.Reconciled.observed_generation < generation"),
            "error: failed to parse search query: expected a quoted string or a number but found "
            "'generation' at position 52");
  EXPECT_EQ(Names("status.conditions.Reconciled.observed_generation >= 2"), "a_b*c");
}

TEST_F(SqliteExec, LogicAndHostileValues) {
  EXPECT_EQ(Names("not kind = 'Cluster' or generation = 1"), "alpha,a_b*c");
  EXPECT_EQ(Names("not (kind = 'Cluster' or generation = 1)"), "a_b*c");
  EXPECT_EQ(Names("(labels.env = 'prod' or labels.env = 'dev') and deleted_time is not null"),
            "Beta");
  EXPECT_EQ(Names("name = 'x''; DROP TABLE resources; --'"), "");
  EXPECT_EQ(Names("name = ''' OR ''1''=''1'"), "");
  EXPECT_EQ(Names(""), "alpha,Beta,a_b*c");  // the table is still there
}

}  // namespace
}  // namespace hf::search
