#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "store/detail/rows.hpp"
#include "store/detail/sql_fragment.hpp"

namespace hf::store::detail {

// A fixed statement, prepared once per connection and then reused. PostgreSQL runs one SQL text;
// SQLite may need several (run in order with the same parameters, their rows concatenated).
struct Statement {
  std::string name;
  std::vector<std::string> sql;
  // PostgreSQL plans it with sequential scans and sorts off (for this statement only), so it finds
  // its rows, in order, through an index whatever the statistics say. Statistics older than the
  // table's growth (rows that arrived since the last ANALYZE) make a scan of every row, or a sort
  // of every match, look cheaper than an index; a plan kept from then does that on every run.
  bool use_index = false;
};

// One open transaction (or read-only session) on one leased connection: the part of a backend
// that SqlTx needs. Destroying it without Commit() rolls back and returns the connection.
class SqlSession {
 public:
  virtual ~SqlSession() = default;

  // Runs a fixed statement (prepared on first use on this connection).
  virtual Result<Rows> Exec(const Statement& statement, const std::vector<SqlParam>& params) = 0;
  // Fixed statements run in order, each one's rows in order: on PostgreSQL in one round trip
  // (with the queued writes). The first that fails fails the call.
  struct Call {
    const Statement* statement;
    std::vector<SqlParam> params;
  };
  virtual Result<std::vector<Rows>> ExecAll(std::vector<Call> calls) {
    std::vector<Rows> out;
    for (auto& c : calls) out.push_back(HF_TRY(Exec(*c.statement, c.params)));
    return out;
  }
  // Runs a one-off statement with the dialect's placeholders ($n / ?n).
  virtual Result<Rows> ExecDynamic(const std::string& sql, const std::vector<SqlParam>& params) = 0;
  // Runs a fixed statement whose rows nobody reads, now or, in a transaction, at the latest with
  // the next Exec or the Commit (PostgreSQL sends it with that one, saving a round trip); its
  // failure is then that call's.
  virtual Result<void> Queue(const Statement& statement, const std::vector<SqlParam>& params) {
    HF_CHECK(Exec(statement, params));
    return Ok();
  }
  // Runs a script of several statements without parameters (migrations).
  virtual Result<void> ExecScript(const std::string& sql) = 0;
  // `outbox_appended`: outbox rows were inserted, so outbox waiters are woken after the commit.
  virtual Result<void> Commit(bool outbox_appended) = 0;
};

}  // namespace hf::store::detail
