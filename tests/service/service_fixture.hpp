#pragma once

// Shared set-up for the service tests: a migrated in-memory SQLite store, the two kinds (Cluster
// with adapters "validation" and "dns" required and "audit" optional, NodePool with "np-agent"),
// and helpers to create resources, build adapter reports and read the outbox.
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "faulty_store.hpp"
#include "model/outbox_event.hpp"
#include "service/caller.hpp"
#include "service/kinds.hpp"
#include "service/resource_service.hpp"
#include "service/status_service.hpp"
#include "store/store.hpp"

namespace hf::service::testing {

// The value of `r`; an error throws, which fails the test with the error's text.
template <typename T>
T Must(Result<T> r) {
  if (!r) throw std::runtime_error(r.error().ToString());
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

// A fresh, migrated `sqlite::memory:` store.
inline std::unique_ptr<store::Store> OpenMemoryStore() {
  auto store = Must(store::OpenStore("sqlite::memory:"));
  Must(store->Migrate());
  return store;
}

// One adapter condition with only a type and a status.
inline model::AdapterCondition Cond(std::string type, std::string status) {
  return {std::move(type), std::move(status), "Reason", "message", {}};
}

// A report carrying the three mandatory conditions (Applied and Health True) and, when
// `finalized` is not empty, a Finalized condition with that status.
inline StatusReport MakeReport(std::string adapter, int64_t generation, std::string available,
                               std::string finalized = "",
                               std::optional<Time> observed = std::nullopt) {
  StatusReport r;
  r.adapter = std::move(adapter);
  r.observed_generation = generation;
  r.observed_time = observed;
  r.conditions = {Cond("Available", std::move(available)), Cond("Applied", "True"),
                  Cond("Health", "True")};
  if (!finalized.empty()) r.conditions.push_back(Cond("Finalized", std::move(finalized)));
  return r;
}

class ServiceTest : public ::testing::Test {
 protected:
  explicit ServiceTest(std::vector<std::string> cluster_adapters = {"validation", "dns"},
                       std::vector<std::string> nodepool_adapters = {"np-agent"},
                       std::unique_ptr<store::Store> store = OpenMemoryStore())
      : store_(std::move(store)),
        kinds_({std::move(cluster_adapters), {"audit"}}, {std::move(nodepool_adapters), {}}),
        resources_(*store_, kinds_),
        statuses_(*store_, kinds_) {}

  Scope Clusters() const { return {kinds_.ByKind("Cluster"), std::nullopt}; }
  Scope NodePools(const std::string& cluster_id) const {
    return {kinds_.ByKind("NodePool"), cluster_id};
  }

  model::Resource CreateCluster(const std::string& name,
                                nlohmann::json spec = nlohmann::json::object()) {
    return Must(resources_.Create(Clusters(), {name, std::move(spec), {}}, caller_));
  }
  model::Resource CreateNodePool(const std::string& cluster_id, const std::string& name) {
    return Must(resources_.Create(NodePools(cluster_id), {name, {}, {}}, caller_));
  }
  // ResourceService::Get, waited for.
  Result<model::Resource> Get(const Scope& scope, const std::string& id) {
    std::promise<Result<model::Resource>> answer;
    resources_.Get(scope, id, [&](Result<model::Resource> r) { answer.set_value(std::move(r)); });
    return answer.get_future().get();
  }
  // The stored resource, or nullopt when it is gone.
  std::optional<model::Resource> Find(const model::Resource& r) {
    const Scope scope = r.owner ? NodePools(r.owner->id) : Clusters();
    auto got = Get(scope, r.id);
    if (!got && got.error().code == ErrorCode::kNotFound) return std::nullopt;
    return Must(std::move(got));
  }
  // Accepts `report` for `r` and returns the stored status (nullopt: discarded).
  std::optional<model::AdapterStatus> Report(const model::Resource& r, StatusReport report) {
    const Scope scope = r.owner ? NodePools(r.owner->id) : Clusters();
    return Must(statuses_.Report(scope, r.id, std::move(report), caller_));
  }

  // Every outbox row (of one aggregate, when given), oldest first.
  std::vector<model::OutboxEvent> Events(std::optional<std::string> aggregate_id = std::nullopt) {
    auto tx = Must(store_->Begin(store::TxMode::kRead));
    store::OutboxQuery q;
    q.aggregate_id = std::move(aggregate_id);
    q.limit = 1000;
    return Must(tx->ListOutbox(q)).items;
  }
  // The reasons of those rows, oldest first.
  std::vector<std::string> Reasons(std::optional<std::string> aggregate_id = std::nullopt) {
    std::vector<std::string> out;
    for (const auto& e : Events(std::move(aggregate_id))) out.push_back(e.reason);
    return out;
  }
  // Marks the given rows published, as the outbox reconciler would.
  void Publish(const std::vector<model::OutboxEvent>& events) {
    std::vector<int64_t> ids;
    for (const auto& e : events) ids.push_back(e.id);
    auto tx = Must(store_->Begin(store::TxMode::kWrite));
    Must(tx->MarkPublished(ids, Now()));
    Must(tx->Commit());
  }

  const Caller caller_{"alice@example.com",
                       "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "req-1"};
  std::unique_ptr<store::Store> store_;
  Kinds kinds_;
  ResourceService resources_;
  StatusService statuses_;
};

// Clusters with no required adapters, nodepools with one.
class UnwatchedClusterTest : public ServiceTest {
 protected:
  UnwatchedClusterTest() : ServiceTest({}, {"np-agent"}) {}
};

// The usual kinds on a FaultyStore, to show that changes and their events commit together and
// which rows a report reads.
class FaultyStoreTest : public ServiceTest {
 protected:
  FaultyStoreTest()
      : ServiceTest({"validation", "dns"}, {"np-agent"},
                    std::make_unique<FaultyStore>(OpenMemoryStore())) {}
  FaultyStore& faulty() { return static_cast<FaultyStore&>(*store_); }
  void FailOutbox(bool fail) { faulty().fail_append_outbox = fail; }
};

}  // namespace hf::service::testing
