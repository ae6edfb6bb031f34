#include "store/postgres/pg_connection.hpp"

#include <poll.h>

#include <pqxx/except>

namespace hf::store::detail {
namespace {

Error Unavailable(std::string detail) {
  return {ErrorCode::kUnavailable, "database unavailable", std::move(detail), {}};
}

Error FromSqlState(const std::string& state, std::string detail) {
  if (state == "23505") return {ErrorCode::kAlreadyExists, "already exists", std::move(detail), {}};
  if (state == "40001" || state == "40P01" || state == "55P03") {
    return {ErrorCode::kConflict, "conflicting concurrent change, retry", std::move(detail), {}};
  }
  if (state == "57014") {
    return {ErrorCode::kDeadlineExceeded, "database query timed out", std::move(detail), {}};
  }
  if (state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03") {
    return Unavailable(std::move(detail));
  }
  return {ErrorCode::kInternal, "database error", std::move(detail), {}};
}

}  // namespace

bool SocketHasInput(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;
}

Error CurrentPgError() {
  try {
    throw;
  } catch (const pqxx::broken_connection& e) {
    return Unavailable(e.what());
  } catch (const pqxx::in_doubt_error& e) {
    return Unavailable(std::string("commit outcome unknown: ") + e.what());
  } catch (const pqxx::sql_error& e) {
    return FromSqlState(e.sqlstate(), e.what());
  } catch (const std::exception& e) {
    return {ErrorCode::kInternal, "database error", e.what(), {}};
  } catch (...) {
    return {ErrorCode::kInternal, "database error", "unknown exception", {}};
  }
}

Result<std::unique_ptr<PgConnection>> PgConnection::Open(const std::string& conninfo) {
  try {
    return std::unique_ptr<PgConnection>(new PgConnection(conninfo));
  } catch (...) {
    Error e = CurrentPgError();
    e.code = ErrorCode::kUnavailable;  // whatever went wrong, there is no connection
    e.message = "database unavailable";
    return Fail(std::move(e));
  }
}

void PgConnection::Prepare(const Statement& statement) {
  if (prepared_.contains(statement.name)) return;
  conn_.prepare(statement.name, statement.sql.front());
  prepared_.insert(statement.name);
}

bool PgConnection::Healthy() {
  if (!conn_.is_open()) return false;
  // An idle connection has nothing to read unless the server said goodbye (ErrorResponse + EOF on
  // shutdown) or, rarely, sent a notice; either way a fresh connection is the safe choice.
  return !SocketHasInput(conn_.sock());
}

}  // namespace hf::store::detail
