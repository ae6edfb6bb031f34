#include "store/sqlite/sqlite_connection.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <type_traits>
#include <variant>

namespace hf::store::detail {
namespace {

// Maps a SQLite result code (extended codes are enabled) to an Error.
Error SqliteError(sqlite3* db, int rc) {
  std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return {ErrorCode::kAlreadyExists, "already exists", std::move(detail), {}};
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return {ErrorCode::kConflict, "database is busy", std::move(detail), {}};
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
      return {ErrorCode::kUnavailable, "database unavailable", std::move(detail), {}};
    default:
      return {ErrorCode::kInternal, "database error", std::move(detail), {}};
  }
}

int Bind(sqlite3_stmt* stmt, int index, const SqlParam& param) {
  return std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) {
          return sqlite3_bind_null(stmt, index);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return sqlite3_bind_int64(stmt, index, v);
        } else if constexpr (std::is_same_v<T, double>) {
          return sqlite3_bind_double(stmt, index, v);
        } else {
          return sqlite3_bind_text(stmt, index, v.data(), static_cast<int>(v.size()),
                                   SQLITE_STATIC);
        }
      },
      param);
}

}  // namespace

void SqliteConnection::StatementDeleter::operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(
    const std::string& path, std::chrono::milliseconds busy_timeout) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db));  // closes db on every path
  if (rc != SQLITE_OK) {
    Error e = SqliteError(db, rc);
    return Fail(ErrorCode::kUnavailable, "database unavailable",
                "cannot open " + path + ": " + e.detail);
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, static_cast<int>(busy_timeout.count()));
  HF_CHECK(conn->ExecScript(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON"));
  return conn;
}

SqliteConnection::~SqliteConnection() {
  cache_.clear();
  sqlite3_close_v2(db_);
}

Result<SqliteConnection::StatementPtr> SqliteConnection::Prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    Error e = SqliteError(db_, rc);
    e.detail += " in: " + sql;
    return Fail(std::move(e));
  }
  return StatementPtr(stmt);
}

Result<void> SqliteConnection::Run(sqlite3_stmt* stmt, const std::vector<SqlParam>& params,
                                   Rows& out) {
  struct Resetter {  // leaves the statement reusable and releases its read/write state
    sqlite3_stmt* s;
    ~Resetter() {
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
  } resetter{stmt};
  const int count = std::min<int>(sqlite3_bind_parameter_count(stmt), params.size());
  for (int i = 0; i < count; ++i) {
    if (const int rc = Bind(stmt, i + 1, params[i]); rc != SQLITE_OK) {
      return Fail(SqliteError(db_, rc));
    }
  }
  const int columns = sqlite3_column_count(stmt);
  for (;;) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) return Ok();
    if (rc != SQLITE_ROW) return Fail(SqliteError(db_, rc));
    out.AddRow(columns);
    for (int c = 0; c < columns; ++c) {
      if (sqlite3_column_type(stmt, c) == SQLITE_NULL) continue;
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
      out.Set(c, {text, static_cast<size_t>(sqlite3_column_bytes(stmt, c))});
    }
  }
}

Result<Rows> SqliteConnection::Exec(const Statement& statement,
                                    const std::vector<SqlParam>& params) {
  Rows rows;
  for (const std::string& sql : statement.sql) {
    auto it = cache_.find(&sql);
    if (it == cache_.end()) it = cache_.emplace(&sql, HF_TRY(Prepare(sql))).first;
    HF_CHECK(Run(it->second.get(), params, rows));
  }
  return rows;
}

Result<Rows> SqliteConnection::ExecDynamic(const std::string& sql,
                                           const std::vector<SqlParam>& params) {
  const StatementPtr stmt = HF_TRY(Prepare(sql));
  Rows rows;
  HF_CHECK(Run(stmt.get(), params, rows));
  return rows;
}

Result<void> SqliteConnection::ExecScript(const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return Ok();
  Error e = SqliteError(db_, rc);
  if (message) {
    e.detail = message;
    sqlite3_free(message);
  }
  return Fail(std::move(e));
}

}  // namespace hf::store::detail
