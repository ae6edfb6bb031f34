#include "store/sqlite/sqlite_session.hpp"

namespace hf::store::detail {

Result<std::unique_ptr<SqliteSession>> SqliteSession::Begin(
    Lease lease, bool write, std::function<void()> on_outbox_commit) {
  HF_CHECK(lease->ExecScript(write ? "BEGIN IMMEDIATE" : "BEGIN"));
  return std::unique_ptr<SqliteSession>(
      new SqliteSession(std::move(lease), std::move(on_outbox_commit)));
}

SqliteSession::~SqliteSession() {
  if (open_ && !lease_->ExecScript("ROLLBACK")) lease_.MarkBroken();
}

Result<Rows> SqliteSession::Exec(const Statement& statement, const std::vector<SqlParam>& params) {
  return lease_->Exec(statement, params);
}

Result<Rows> SqliteSession::ExecDynamic(const std::string& sql,
                                        const std::vector<SqlParam>& params) {
  return lease_->ExecDynamic(sql, params);
}

Result<void> SqliteSession::ExecScript(const std::string& sql) { return lease_->ExecScript(sql); }

Result<void> SqliteSession::Commit(bool outbox_appended) {
  HF_CHECK(lease_->ExecScript("COMMIT"));
  open_ = false;
  if (outbox_appended && on_outbox_commit_) on_outbox_commit_();
  return Ok();
}

}  // namespace hf::store::detail
