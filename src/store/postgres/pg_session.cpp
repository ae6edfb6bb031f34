#include "store/postgres/pg_session.hpp"

#include <cstdio>
#include <pqxx/nontransaction>
#include <pqxx/result>
#include <pqxx/transaction>
#include <type_traits>
#include <variant>

namespace hf::store::detail {
namespace {

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
  auto Dynamic() const { return pqxx::prepare::make_dynamic_params(pointers_); }

 private:
  std::vector<std::string> numbers_;
  std::vector<const char*> pointers_;
};

// (pqxx's row and field objects each hold a reference-counted result: one field per cell, one
// pass.)
Rows ToRows(const pqxx::result& result) {
  Rows rows;
  const auto columns = static_cast<size_t>(result.columns());
  size_t first_row_bytes = 0;
  for (const auto& row : result) {
    rows.AddRow(columns);
    for (size_t c = 0; c < columns; ++c) {
      const pqxx::field f = row[static_cast<pqxx::row::size_type>(c)];
      if (f.is_null()) continue;
      rows.Set(c, {f.c_str(), f.size()});
      if (rows.size() == 1) first_row_bytes += f.size();
    }
    if (rows.size() == 1) rows.Reserve(result.size(), columns, first_row_bytes * result.size());
  }
  return rows;
}

}  // namespace

Result<std::unique_ptr<PgSession>> PgSession::Begin(Lease lease, TxMode mode) {
  try {
    std::unique_ptr<pqxx::transaction_base> txn;
    if (mode == TxMode::kWrite) {
      txn = std::make_unique<pqxx::work>(lease->raw());
    } else {
      txn = std::make_unique<pqxx::nontransaction>(lease->raw());
    }
    return std::unique_ptr<PgSession>(new PgSession(std::move(lease), std::move(txn)));
  } catch (...) {
    Error e = CurrentPgError();
    if (e.code == ErrorCode::kUnavailable) lease.MarkBroken();
    return Fail(std::move(e));
  }
}

PgSession::~PgSession() {
  txn_.reset();
  if (!lease_->raw().is_open()) lease_.MarkBroken();
}

Error PgSession::HandleError() {
  Error e = CurrentPgError();
  if (e.code == ErrorCode::kUnavailable) lease_.MarkBroken();
  return e;
}

Result<Rows> PgSession::Exec(const Statement& statement, const std::vector<SqlParam>& params) {
  if (statement.plan_each_run) return ExecDynamic(statement.sql.front(), params);
  try {
    lease_->Prepare(statement);
    return ToRows(txn_->exec_prepared(statement.name, TextParams(params).Dynamic()));
  } catch (...) {
    return Fail(HandleError());
  }
}

Result<Rows> PgSession::ExecDynamic(const std::string& sql, const std::vector<SqlParam>& params) {
  try {
    return ToRows(txn_->exec_params(sql, TextParams(params).Dynamic()));
  } catch (...) {
    return Fail(HandleError());
  }
}

Result<void> PgSession::ExecScript(const std::string& sql) {
  try {
    txn_->exec(sql);
    return Ok();
  } catch (...) {
    return Fail(HandleError());
  }
}

Result<void> PgSession::Commit(bool /*outbox_appended: the INSERT itself NOTIFYs*/) {
  try {
    txn_->commit();
    return Ok();
  } catch (...) {
    return Fail(HandleError());
  }
}

}  // namespace hf::store::detail
