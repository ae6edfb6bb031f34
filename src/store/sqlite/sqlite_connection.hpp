#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

#include "store/detail/sql_session.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace hf::store::detail {

// One SQLite connection with its prepared statements. Used by one thread at a time.
class SqliteConnection {
 public:
  // Opens (creating it) the database file at `path`, or a private in-memory database for
  // ":memory:", with WAL journaling, synchronous=NORMAL, foreign keys on and `busy_timeout`.
  // Unavailable when the file cannot be opened.
  static Result<std::unique_ptr<SqliteConnection>> Open(const std::string& path,
                                                        std::chrono::milliseconds busy_timeout);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // Runs each SQL text of `statement` (prepared once, then cached) with `params` bound to ?1…
  // and returns all their rows.
  Result<Rows> Exec(const Statement& statement, const std::vector<SqlParam>& params);
  // Prepares, runs and finalizes `sql`.
  Result<Rows> ExecDynamic(const std::string& sql, const std::vector<SqlParam>& params);
  // Runs `sql`, which may hold several statements, without parameters.
  Result<void> ExecScript(const std::string& sql);

 private:
  struct StatementDeleter {
    void operator()(sqlite3_stmt* s) const;
  };
  using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  Result<StatementPtr> Prepare(const std::string& sql);
  Result<void> Run(sqlite3_stmt* stmt, const std::vector<SqlParam>& params, Rows& out);

  sqlite3* db_;
  std::unordered_map<const std::string*, StatementPtr> cache_;  // by address of Statement::sql[i]
};

}  // namespace hf::store::detail
