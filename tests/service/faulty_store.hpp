#pragma once

// A fault-injecting Store for the service tests: forwards everything to a real store, except that
// while `fail_append_outbox` is set every Tx::AppendOutbox fails (Unavailable). Shows that a
// change and the event announcing it commit together or not at all. It also counts the adapter
// status rows read (`status_rows_read`), to show what a report reads.
#include <atomic>
#include <memory>

#include "store/store.hpp"

namespace hf::service::testing {

class FaultyStore final : public store::Store {
 public:
  explicit FaultyStore(std::unique_ptr<store::Store> real) : real_(std::move(real)) {}

  std::atomic<bool> fail_append_outbox{false};
  std::atomic<int> status_rows_read{0};

  Result<std::unique_ptr<store::Tx>> Begin(store::TxMode mode) override {
    auto tx = HF_TRY(real_->Begin(mode));
    return std::unique_ptr<store::Tx>(std::make_unique<FaultyTx>(std::move(tx), *this));
  }
  Result<void> Ping(std::chrono::milliseconds timeout) override { return real_->Ping(timeout); }
  Result<store::MigrationReport> Migrate() override { return real_->Migrate(); }
  bool WaitForOutbox(std::chrono::milliseconds timeout) override {
    return real_->WaitForOutbox(timeout);
  }
  store::PoolStats Stats() const override { return real_->Stats(); }

 private:
  class FaultyTx final : public store::Tx {
   public:
    FaultyTx(std::unique_ptr<store::Tx> real, FaultyStore& store)
        : real_(std::move(real)), store_(store) {}

    Result<void> Commit() override { return real_->Commit(); }
    Result<std::optional<model::Resource>> GetResource(const std::string& id,
                                                       store::Lock lock) override {
      return real_->GetResource(id, lock);
    }
    Result<std::vector<model::Resource>> GetResources(
        const std::vector<std::string>& ids) override {
      return real_->GetResources(ids);
    }
    Result<void> InsertResource(const model::Resource& r) override {
      return real_->InsertResource(r);
    }
    Result<void> UpdateResource(const model::Resource& r) override {
      return real_->UpdateResource(r);
    }
    Result<void> ReplaceConditions(const std::string& id,
                                   const std::vector<model::Condition>& conditions) override {
      return real_->ReplaceConditions(id, conditions);
    }
    Result<void> DeleteResource(const std::string& id) override {
      return real_->DeleteResource(id);
    }
    Result<store::Page<model::Resource>> ListResources(const store::ResourceQuery& q) override {
      return real_->ListResources(q);
    }
    Result<std::vector<model::Resource>> ListChildren(const std::string& owner_id,
                                                      store::Lock lock) override {
      return real_->ListChildren(owner_id, lock);
    }
    Result<bool> HasChildren(const std::string& owner_id) override {
      return real_->HasChildren(owner_id);
    }
    Result<std::vector<model::AdapterStatus>> GetAdapterStatuses(
        const std::string& resource_id, const std::vector<std::string>& adapters) override {
      auto rows = HF_TRY(real_->GetAdapterStatuses(resource_id, adapters));
      store_.status_rows_read += static_cast<int>(rows.size());
      return rows;
    }
    Result<store::ResourceWithStatuses> GetResourceWithStatuses(
        const std::string& id, store::Lock lock,
        const std::vector<std::string>& adapters) override {
      auto read = HF_TRY(real_->GetResourceWithStatuses(id, lock, adapters));
      store_.status_rows_read += static_cast<int>(read.statuses.size());
      return read;
    }
    Result<store::Page<model::AdapterStatus>> ListAdapterStatuses(const std::string& resource_id,
                                                                  int64_t offset,
                                                                  int64_t limit) override {
      return real_->ListAdapterStatuses(resource_id, offset, limit);
    }
    Result<void> UpsertAdapterStatus(const model::AdapterStatus& s) override {
      return real_->UpsertAdapterStatus(s);
    }
    Result<void> AppendOutbox(const model::OutboxEvent& e) override {
      if (store_.fail_append_outbox) return Fail(ErrorCode::kUnavailable, "outbox unavailable");
      return real_->AppendOutbox(e);
    }
    Result<std::optional<model::OutboxEvent>> FindPendingOutbox(const std::string& aggregate_id,
                                                                int64_t generation) override {
      return real_->FindPendingOutbox(aggregate_id, generation);
    }
    Result<std::vector<model::OutboxEvent>> ClaimOutbox(int limit, Time now) override {
      return real_->ClaimOutbox(limit, now);
    }
    Result<void> MarkPublished(const std::vector<int64_t>& ids, Time when) override {
      return real_->MarkPublished(ids, when);
    }
    Result<void> MarkFailed(int64_t id, const std::string& error, Time next_attempt) override {
      return real_->MarkFailed(id, error, next_attempt);
    }
    Result<int64_t> DeletePublishedBefore(Time cutoff, int limit) override {
      return real_->DeletePublishedBefore(cutoff, limit);
    }
    Result<store::Page<model::OutboxEvent>> ListOutbox(const store::OutboxQuery& q) override {
      return real_->ListOutbox(q);
    }
    Result<store::OutboxStats> GetOutboxStats() override { return real_->GetOutboxStats(); }
    Result<std::vector<store::ReconcileBacklog>> GetReconcileBacklog(Time stuck_before) override {
      return real_->GetReconcileBacklog(stuck_before);
    }
    Result<std::vector<store::ResourceCount>> CountResources() override {
      return real_->CountResources();
    }

   private:
    std::unique_ptr<store::Tx> real_;
    FaultyStore& store_;
  };

  std::unique_ptr<store::Store> real_;
};

}  // namespace hf::service::testing
