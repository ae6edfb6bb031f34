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

Result<std::vector<Rows>> PgSession::Send(std::vector<PgCommand> last) {
  std::vector<PgCommand> commands;
  if (transaction_ && !open_) commands.push_back(Text("BEGIN"));
  std::move(pending_.begin(), pending_.end(), std::back_inserter(commands));
  pending_.clear();
  std::move(last.begin(), last.end(), std::back_inserter(commands));
  if (commands.empty()) return std::vector<Rows>{};
  open_ = transaction_;
  auto rows = lease_->Run(commands);
  if (!rows) {
    if (rows.error().code == ErrorCode::kUnavailable) lease_.MarkBroken();
    return Fail(std::move(rows.error()));
  }
  rows->erase(rows->begin(), rows->end() - static_cast<std::ptrdiff_t>(last.size()));
  return std::move(*rows);
}

Result<Rows> PgSession::SendOne(std::optional<PgCommand> last) {
  std::vector<PgCommand> commands;
  if (last) commands.push_back(std::move(*last));
  auto rows = HF_TRY(Send(std::move(commands)));
  return rows.empty() ? Rows() : std::move(rows.back());
}

Result<Rows> PgSession::Exec(const Statement& statement, const std::vector<SqlParam>& params) {
  return SendOne(Fixed(statement, params));
}

Result<std::vector<Rows>> PgSession::ExecAll(std::vector<Call> calls) {
  std::vector<PgCommand> commands;
  for (auto& c : calls) commands.push_back(Fixed(*c.statement, std::move(c.params)));
  return Send(std::move(commands));
}

Result<Rows> PgSession::ExecDynamic(const std::string& sql, const std::vector<SqlParam>& params) {
  return SendOne(Text(sql, params));
}

Result<void> PgSession::Queue(const Statement& statement, const std::vector<SqlParam>& params) {
  if (!transaction_) return SqlSession::Queue(statement, params);
  pending_.push_back(Fixed(statement, params));
  return Ok();
}

Result<void> PgSession::ExecScript(const std::string& sql) {
  HF_CHECK(Send({}));
  auto done = lease_->RunScript(sql);
  if (!done && done.error().code == ErrorCode::kUnavailable) lease_.MarkBroken();
  return done;
}

Result<void> PgSession::Commit(bool /*outbox_appended: the INSERT itself NOTIFYs*/) {
  if (!transaction_ || (!open_ && pending_.empty())) return Ok();  // nothing ran
  auto done = SendOne(Text("COMMIT"));
  if (!done) {
    Error e = std::move(done.error());
    if (e.code == ErrorCode::kUnavailable) e.detail = "commit outcome unknown: " + e.detail;
    return Fail(std::move(e));
  }
  open_ = false;
  return Ok();
}

}  // namespace hf::store::detail
