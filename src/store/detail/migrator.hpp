#pragma once

#include <vector>

#include "store/detail/sql_session.hpp"
#include "store/detail/statements.hpp"
#include "store/migrations.hpp"
#include "store/store.hpp"

namespace hf::store::detail {

// Applies, in name order, the `migrations` not yet recorded in schema_migrations (creating that
// table first), records each, and commits; all in `session`, a write transaction. Takes the
// dialect's migration lock first, so concurrent migrators apply each migration once.
Result<MigrationReport> ApplyMigrations(SqlSession& session, const Statements& statements,
                                        const std::vector<Migration>& migrations);

}  // namespace hf::store::detail
