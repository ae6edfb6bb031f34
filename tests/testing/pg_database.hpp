#pragma once

#include <string>
#include <vector>

namespace hf::testing {

// A throwaway PostgreSQL database created from an admin DSN (HF_TEST_PG_DSN) and dropped when
// the object goes away, so tests can run in parallel without sharing state.
class PgDatabase {
 public:
  explicit PgDatabase(const std::string& admin_dsn);
  ~PgDatabase();
  PgDatabase(const PgDatabase&) = delete;
  PgDatabase& operator=(const PgDatabase&) = delete;

  // postgresql://…/<name>; empty if creation failed (see error()).
  const std::string& url() const { return url_; }
  const std::string& error() const { return error_; }

  // Runs SQL on a connection of its own; returns "" or the error text.
  static std::string Exec(const std::string& dsn, const std::string& sql);
  // Runs a query on a connection of its own: its rows of cells (NULL as ""); throws
  // std::runtime_error with the database's message if it fails.
  static std::vector<std::vector<std::string>> Query(const std::string& dsn,
                                                     const std::string& sql);

 private:
  std::string admin_dsn_;
  std::string name_;
  std::string url_;
  std::string error_;
};

}  // namespace hf::testing
