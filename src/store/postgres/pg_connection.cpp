#include "store/postgres/pg_connection.hpp"

#include <poll.h>

#include <algorithm>
#include <cstdio>
#include <type_traits>
#include <variant>

namespace hf::store::detail {
namespace {

// Sent before and after a Statement::use_index, in the same pipeline. Local settings end with the
// transaction; the second restores them at once for the statements after it (to PostgreSQL's
// defaults, which the store never changes).
const Statement kIndexOnlyPlans{
    "index_only_plans",
    {"SELECT set_config('enable_seqscan', 'off', true), set_config('enable_sort', 'off', true)"}};
const Statement kAnyPlans{
    "any_plans",
    {"SELECT set_config('enable_seqscan', 'on', true), set_config('enable_sort', 'on', true)"}};

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

std::string Trimmed(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Statement parameters as libpq wants them: text or NULL.
class TextParams {
 public:
  explicit TextParams(const std::vector<SqlParam>& params) {
    numbers_.reserve(params.size());  // no reallocation: pointers into it stay valid
    for (const SqlParam& p : params) {
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) {
              pointers_.push_back(nullptr);
            } else if constexpr (std::is_same_v<T, std::string>) {
              pointers_.push_back(v.c_str());
            } else if constexpr (std::is_same_v<T, int64_t>) {
              pointers_.push_back(numbers_.emplace_back(std::to_string(v)).c_str());
            } else {
              char buf[32];
              std::snprintf(buf, sizeof buf, "%.17g", v);
              pointers_.push_back(numbers_.emplace_back(buf).c_str());
            }
          },
          p);
    }
  }
  int size() const { return static_cast<int>(pointers_.size()); }
  const char* const* values() const { return pointers_.data(); }

 private:
  std::vector<std::string> numbers_;
  std::vector<const char*> pointers_;
};

Rows ToRows(const PGresult* result) {
  Rows rows;
  const int n = PQntuples(result);
  const int columns = PQnfields(result);
  size_t bytes = 0;
  for (int r = 0; r < n; ++r) {
    for (int c = 0; c < columns; ++c) bytes += static_cast<size_t>(PQgetlength(result, r, c));
  }
  rows.Reserve(static_cast<size_t>(n), static_cast<size_t>(columns), bytes);
  for (int r = 0; r < n; ++r) {
    rows.AddRow(static_cast<size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      if (PQgetisnull(result, r, c)) continue;
      rows.Set(static_cast<size_t>(c),
               {PQgetvalue(result, r, c), static_cast<size_t>(PQgetlength(result, r, c))});
    }
  }
  return rows;
}

// Owns a PGresult.
struct ResultPtr {
  PGresult* p;
  explicit ResultPtr(PGresult* r) : p(r) {}
  ~ResultPtr() { PQclear(p); }
  ResultPtr(const ResultPtr&) = delete;
  ResultPtr& operator=(const ResultPtr&) = delete;
};

}  // namespace

bool SocketHasInput(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) != 0;
}

Result<std::unique_ptr<PgConnection>> PgConnection::Open(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (conn == nullptr) return Fail(Unavailable("out of memory connecting"));
  if (PQstatus(conn) != CONNECTION_OK) {
    Error e = Unavailable(Trimmed(PQerrorMessage(conn)));
    PQfinish(conn);
    return Fail(std::move(e));
  }
  // Notices (e.g. "there is no transaction in progress") are not errors; libpq's default writes
  // them to stderr, where they would break the JSON log.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(conn));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

Error PgConnection::Lost(const std::string& doing) {
  lost_ = true;
  return Unavailable(doing + ": " + Trimmed(PQerrorMessage(conn_)));
}

Result<std::vector<Rows>> PgConnection::Run(std::span<const PgCommand> commands) {
  if (lost_ || PQstatus(conn_) != CONNECTION_OK) return Fail(Lost("connection lost"));
  if (PQenterPipelineMode(conn_) == 0) return Fail(Lost("entering pipeline mode"));
  // What goes on the wire: each command, a Statement::use_index one between the two settings
  // statements (whose rows nobody reads). Then one sync.
  struct Send {
    const Statement* statement;  // or, when null, `sql`
    const std::string* sql;
    const std::vector<SqlParam>* params;
    bool rows;  // the caller's
  };
  static const std::vector<SqlParam> kNoParams;
  std::vector<Send> sends;
  sends.reserve(commands.size());
  for (const PgCommand& c : commands) {
    const bool use_index = c.statement != nullptr && c.statement->use_index;
    if (use_index) sends.push_back({&kIndexOnlyPlans, nullptr, &kNoParams, false});
    sends.push_back({c.statement, &c.sql, &c.params, true});
    if (use_index) sends.push_back({&kAnyPlans, nullptr, &kNoParams, false});
  }
  std::vector<const std::string*> prepares(sends.size(), nullptr);
  for (size_t i = 0; i < sends.size(); ++i) {
    const Send& c = sends[i];
    const TextParams params(*c.params);
    int sent = 0;
    if (c.statement != nullptr) {
      const std::string& name = c.statement->name;
      const bool preparing = std::any_of(prepares.begin(), prepares.begin() + i,
                                         [&](const std::string* p) { return p && *p == name; });
      if (!prepared_.contains(name) && !preparing) {
        if (PQsendPrepare(conn_, name.c_str(), c.statement->sql.front().c_str(), 0, nullptr) == 0) {
          return Fail(Lost("sending a statement"));
        }
        prepares[i] = &name;
      }
      sent = PQsendQueryPrepared(conn_, name.c_str(), params.size(), params.values(), nullptr,
                                 nullptr, 0);
    } else {
      sent = PQsendQueryParams(conn_, c.sql->c_str(), params.size(), nullptr, params.values(),
                               nullptr, nullptr, 0);
    }
    if (sent == 0) return Fail(Lost("sending a statement"));
  }
  if (PQpipelineSync(conn_) == 0) return Fail(Lost("sending a statement"));

  // Then one result (and its terminating null) per prepare and per send, then the sync.
  std::optional<Error> failed;
  std::vector<Rows> out;
  out.reserve(commands.size());
  const auto read_one = [&](bool rows) -> Result<ExecStatusType> {
    ResultPtr r(PQgetResult(conn_));
    if (r.p == nullptr) return Fail(Lost("reading a result"));
    const ExecStatusType status = PQresultStatus(r.p);
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
      if (rows) out.push_back(ToRows(r.p));
    } else if (status == PGRES_FATAL_ERROR && !failed) {
      const char* state = PQresultErrorField(r.p, PG_DIAG_SQLSTATE);
      if (state == nullptr || PQstatus(conn_) != CONNECTION_OK) {
        failed = Lost("running a statement");
      } else {
        failed = FromSqlState(state, Trimmed(PQresultErrorMessage(r.p)));
      }
    }
    if (ResultPtr end(PQgetResult(conn_)); end.p != nullptr) {
      return Fail(Lost("unexpected extra result"));
    }
    return status;
  };
  for (size_t i = 0; i < sends.size(); ++i) {
    if (prepares[i] != nullptr && HF_TRY(read_one(false)) == PGRES_COMMAND_OK) {
      prepared_.insert(*prepares[i]);
    }
    HF_TRY(read_one(sends[i].rows));
  }
  ResultPtr sync(PQgetResult(conn_));
  if (sync.p == nullptr || PQresultStatus(sync.p) != PGRES_PIPELINE_SYNC) {
    return Fail(Lost("reading a pipeline's end"));
  }
  if (PQexitPipelineMode(conn_) == 0) return Fail(Lost("leaving pipeline mode"));
  if (failed) {
    if (failed->code == ErrorCode::kUnavailable) lost_ = true;
    return Fail(std::move(*failed));
  }
  return out;
}

Result<void> PgConnection::RunScript(const std::string& sql) {
  if (lost_ || PQstatus(conn_) != CONNECTION_OK) return Fail(Lost("connection lost"));
  ResultPtr r(PQexec(conn_, sql.c_str()));
  const ExecStatusType status = r.p ? PQresultStatus(r.p) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return Ok();
  const char* state = r.p ? PQresultErrorField(r.p, PG_DIAG_SQLSTATE) : nullptr;
  if (state == nullptr || PQstatus(conn_) != CONNECTION_OK) return Fail(Lost("running a script"));
  return Fail(FromSqlState(state, Trimmed(PQresultErrorMessage(r.p))));
}

Result<void> PgConnection::Listen(const std::string& channel) {
  return RunScript("LISTEN " + channel);
}

Result<bool> PgConnection::WaitForNotification(std::chrono::milliseconds timeout) {
  const auto consume = [&]() -> Result<bool> {
    if (PQconsumeInput(conn_) == 0) return Fail(Lost("waiting for notifications"));
    bool any = false;
    while (PGnotify* n = PQnotifies(conn_)) {
      any = true;
      PQfreemem(n);
    }
    return any;
  };
  if (lost_ || PQstatus(conn_) != CONNECTION_OK) return Fail(Lost("connection lost"));
  if (HF_TRY(consume())) return true;
  pollfd p{PQsocket(conn_), POLLIN, 0};
  const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (ready <= 0) return false;
  // Readable but nothing parsed: EOF or an error shows up as a failed consume.
  return consume();
}

bool PgConnection::Healthy() {
  if (lost_ || PQstatus(conn_) != CONNECTION_OK) return false;
  // An idle connection has nothing to read unless the server said goodbye (ErrorResponse + EOF on
  // shutdown) or, rarely, sent a notice; either way a fresh connection is the safe choice.
  return !SocketHasInput(PQsocket(conn_));
}

}  // namespace hf::store::detail
