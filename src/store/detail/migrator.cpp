#include "store/detail/migrator.hpp"

#include <set>

namespace hf::store::detail {

Result<MigrationReport> ApplyMigrations(SqlSession& session, const Statements& statements,
                                        const std::vector<Migration>& migrations) {
  if (!statements.migrations_lock.empty()) HF_CHECK(session.ExecScript(statements.migrations_lock));
  HF_CHECK(session.ExecScript(statements.create_migrations_table));
  std::set<std::string> applied;
  for (const Row row : HF_TRY(session.Exec(statements.applied_migrations, {}))) {
    applied.emplace(row.at(0).value_or(""));
  }
  MigrationReport report{.applied = {}, .total = static_cast<int64_t>(migrations.size())};
  for (const Migration& m : migrations) {
    if (applied.contains(m.name)) continue;
    auto done = session.ExecScript(m.sql);
    if (!done) {
      Error e = std::move(done).error();
      e.detail = "migration " + m.name + ": " + e.detail;
      return Fail(std::move(e));
    }
    HF_CHECK(session.Exec(statements.record_migration, {m.name, FormatTime(Now())}));
    report.applied.push_back(m.name);
  }
  HF_CHECK(session.Commit(false));
  return report;
}

}  // namespace hf::store::detail
