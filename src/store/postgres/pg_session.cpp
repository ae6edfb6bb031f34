#include "store/postgres/pg_session.hpp"

#include <algorithm>
#include <iterator>

namespace hf::store::detail {
namespace {

PgCommand Text(std::string sql, std::vector<SqlParam> params = {}) {
  PgCommand c;
  c.sql = std::move(sql);
  c.params = std::move(params);
  return c;
}

PgCommand Fixed(const Statement& statement, std::vector<SqlParam> params) {
  PgCommand c;
  c.statement = &statement;
  c.params = std::move(params);
  return c;
}

}  // namespace

std::unique_ptr<PgSession> PgSession::Begin(Lease lease, TxMode mode) {
  return std::unique_ptr<PgSession>(new PgSession(std::move(lease), mode == TxMode::kWrite));
}

PgSession::~PgSession() {
  if (open_ && !lease_->Run(std::vector<PgCommand>{Text("ROLLBACK")})) lease_.MarkBroken();
}

Result<Rows> PgSession::Send(std::optional<PgCommand> last) {
  std::vector<PgCommand> commands;
  if (transaction_ && !open_) commands.push_back(Text("BEGIN"));
  std::move(pending_.begin(), pending_.end(), std::back_inserter(commands));
  pending_.clear();
  if (last) commands.push_back(std::move(*last));
  if (commands.empty()) return Rows();
  open_ = transaction_;
  auto rows = lease_->Run(commands);
  if (!rows) {
    if (rows.error().code == ErrorCode::kUnavailable) lease_.MarkBroken();
    return Fail(std::move(rows.error()));
  }
  return std::move(rows->back());
}

Result<Rows> PgSession::Exec(const Statement& statement, const std::vector<SqlParam>& params) {
  return Send(Fixed(statement, params));
}

Result<Rows> PgSession::ExecDynamic(const std::string& sql, const std::vector<SqlParam>& params) {
  return Send(Text(sql, params));
}

Result<void> PgSession::Queue(const Statement& statement, const std::vector<SqlParam>& params) {
  if (!transaction_) return SqlSession::Queue(statement, params);
  pending_.push_back(Fixed(statement, params));
  return Ok();
}

Result<void> PgSession::ExecScript(const std::string& sql) {
  HF_CHECK(Send(std::nullopt));
  auto done = lease_->RunScript(sql);
  if (!done && done.error().code == ErrorCode::kUnavailable) lease_.MarkBroken();
  return done;
}

Result<void> PgSession::Commit(bool /*outbox_appended: the INSERT itself NOTIFYs*/) {
  if (!transaction_ || (!open_ && pending_.empty())) return Ok();  // nothing ran
  auto done = Send(Text("COMMIT"));
  if (!done) {
    Error e = std::move(done.error());
    if (e.code == ErrorCode::kUnavailable) e.detail = "commit outcome unknown: " + e.detail;
    return Fail(std::move(e));
  }
  open_ = false;
  return Ok();
}

}  // namespace hf::store::detail
