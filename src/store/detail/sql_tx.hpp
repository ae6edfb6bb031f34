#pragma once

#include <memory>

#include "store/detail/sql_session.hpp"
#include "store/detail/statements.hpp"
#include "store/store.hpp"

namespace hf::store::detail {

// The Tx of both backends: encodes model values as statement parameters, runs the dialect's
// statements on a SqlSession and decodes the rows. Backends differ only in `statements` and
// the session.
class SqlTx final : public Tx {
 public:
  SqlTx(const Statements& statements, std::unique_ptr<SqlSession> session)
      : st_(statements), session_(std::move(session)) {}

  Result<void> Commit() override;

  Result<std::optional<model::Resource>> GetResource(const std::string& id, Lock lock) override;
  Result<std::vector<model::Resource>> GetResources(const std::vector<std::string>& ids) override;
  Result<void> InsertResource(const model::Resource& r) override;
  Result<void> UpdateResource(const model::Resource& r) override;
  Result<void> ReplaceConditions(const std::string& id,
                                 const std::vector<model::Condition>& conditions) override;
  Result<void> DeleteResource(const std::string& id) override;
  Result<Page<model::Resource>> ListResources(const ResourceQuery& q) override;
  Result<bool> HasChildren(const std::string& owner_id) override;
  Result<std::vector<model::Resource>> ListChildren(const std::string& owner_id,
                                                    Lock lock) override;

  Result<std::vector<model::AdapterStatus>> GetAdapterStatuses(
      const std::string& resource_id, const std::vector<std::string>& adapters) override;
  Result<ResourceWithStatuses> GetResourceWithStatuses(
      const std::string& id, Lock lock, const std::vector<std::string>& adapters) override;
  Result<Page<model::AdapterStatus>> ListAdapterStatuses(const std::string& resource_id,
                                                         int64_t offset, int64_t limit) override;
  Result<void> UpsertAdapterStatus(const model::AdapterStatus& s) override;

  Result<void> AppendOutbox(const model::OutboxEvent& e) override;
  Result<std::optional<model::OutboxEvent>> FindPendingOutbox(const std::string& aggregate_id,
                                                              int64_t generation) override;
  Result<std::vector<model::OutboxEvent>> ClaimOutbox(int limit, Time now) override;
  Result<void> MarkPublished(const std::vector<int64_t>& ids, Time when) override;
  Result<void> MarkFailed(int64_t id, const std::string& error, Time next_attempt) override;
  Result<int64_t> DeletePublishedBefore(Time cutoff, int limit) override;
  Result<Page<model::OutboxEvent>> ListOutbox(const OutboxQuery& q) override;
  Result<OutboxStats> GetOutboxStats() override;
  Result<std::vector<ReconcileBacklog>> GetReconcileBacklog(Time stuck_before) override;
  Result<std::vector<ResourceCount>> CountResources() override;

 private:
  const Statements& st_;
  std::unique_ptr<SqlSession> session_;
  bool outbox_appended_ = false;
};

}  // namespace hf::store::detail
