#include "testing/pg_database.hpp"

#include <libpq-fe.h>

#include <random>
#include <stdexcept>

namespace hf::testing {

std::vector<std::vector<std::string>> PgDatabase::Query(const std::string& dsn,
                                                        const std::string& sql) {
  PGconn* conn = PQconnectdb(dsn.c_str());
  std::string error;
  std::vector<std::vector<std::string>> rows;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* res = PQexec(conn, sql.c_str());
    auto status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) error = PQerrorMessage(conn);
    for (int r = 0; error.empty() && r < PQntuples(res); ++r) {
      auto& row = rows.emplace_back();
      for (int c = 0; c < PQnfields(res); ++c) row.emplace_back(PQgetvalue(res, r, c));
    }
    PQclear(res);
  }
  PQfinish(conn);
  if (!error.empty()) throw std::runtime_error(error);
  return rows;
}

std::string PgDatabase::Exec(const std::string& dsn, const std::string& sql) {
  try {
    Query(dsn, sql);
    return "";
  } catch (const std::runtime_error& e) {
    return e.what();
  }
}

PgDatabase::PgDatabase(const std::string& admin_dsn) : admin_dsn_(admin_dsn) {
  std::random_device rd;
  name_ = "hf_test_" + std::to_string(rd()) + std::to_string(rd() % 1000);
  error_ = Exec(admin_dsn_, "CREATE DATABASE " + name_);
  if (!error_.empty()) return;
  // Replace the database name (the path after the last '/', before any '?').
  std::string base = admin_dsn_;
  std::string query;
  if (auto q = base.find('?'); q != std::string::npos) {
    query = base.substr(q);
    base = base.substr(0, q);
  }
  auto slash = base.rfind('/');
  if (slash == std::string::npos || slash < base.find("://") + 3) {
    url_ = base + "/" + name_ + query;
  } else {
    url_ = base.substr(0, slash + 1) + name_ + query;
  }
}

PgDatabase::~PgDatabase() {
  if (url_.empty()) return;
  Exec(admin_dsn_, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
}

}  // namespace hf::testing
