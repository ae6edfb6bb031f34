#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "model/adapter_status.hpp"
#include "model/outbox_event.hpp"
#include "model/resource.hpp"
#include "search/filter.hpp"
#include "search/order.hpp"

namespace hf::store {

// One page of a list, with the total number of matching rows.
template <typename T>
struct Page {
  std::vector<T> items;
  int64_t total = 0;
};

// What ListResources returns: resources of `kind` (and of `owner_id`, when set) that match
// `filter`, sorted by `order` and then by id. The store compiles the filter and the order terms
// to SQL for its dialect; a column name outside its allow-list is InvalidArgument.
struct ResourceQuery {
  std::string kind;
  std::optional<std::string> owner_id;
  std::optional<search::Filter> filter;  // nullopt: no filter
  std::vector<search::OrderTerm> order;  // empty: created_time desc
  int64_t offset = 0;
  int64_t limit = 20;
};

// What ListOutbox returns: rows matching every field set, in id order.
struct OutboxQuery {
  std::optional<std::string> aggregate_id;
  std::optional<std::string> aggregate_type;
  std::optional<bool> published;
  std::optional<int64_t> after_id;  // only rows with a larger id
  int64_t offset = 0;
  int64_t limit = 20;
  bool with_total = true;  // false: Page::total is left 0 (no COUNT query)
};

struct OutboxStats {
  int64_t pending = 0;
  std::optional<Time> oldest_pending_created;
  int64_t last_id = 0;  // the largest id of any retained row (0: none)
};

// How many resources of a kind have a Reconciled status ("" when they have no such condition).
struct ResourceCount {
  std::string kind;
  std::string reconciled;
  int64_t count = 0;
};

// The resources of one kind whose Reconciled condition is False.
struct ReconcileBacklog {
  std::string kind;
  int64_t pending = 0;         // Reconciled=False
  int64_t stuck = 0;           // ... since before the cutoff asked for
  std::optional<Time> oldest;  // the earliest Reconciled transition among them
};

enum class Lock { kNone, kForUpdate };

struct ResourceWithStatuses {
  std::optional<model::Resource> resource;
  std::vector<model::AdapterStatus> statuses;
};
enum class TxMode {
  kRead,   // reads only; may run without BEGIN (each statement sees committed data)
  kWrite,  // a real transaction; rolled back unless Commit() succeeds
};

// A unit of work on the store. Destroying it without Commit() rolls back. Not thread-safe:
// one Tx belongs to one request at a time. Every method returns an Error instead of throwing.
// The writes whose rows nobody reads back (InsertResource, ReplaceConditions, UpsertAdapterStatus,
// AppendOutbox, MarkPublished, MarkFailed) may report a failure only with the next call or the
// Commit: on PostgreSQL they travel with that call, in the same round trip.
class Tx {
 public:
  virtual ~Tx() = default;

  virtual Result<void> Commit() = 0;

  // --- resources (rows include labels and conditions) ---
  virtual Result<std::optional<model::Resource>> GetResource(const std::string& id,
                                                             Lock lock = Lock::kNone) = 0;
  // The resources of `ids` that exist, in any order, each once.
  virtual Result<std::vector<model::Resource>> GetResources(
      const std::vector<std::string>& ids) = 0;
  // AlreadyExists if an active resource of the same kind (and owner) has that name, or the id is
  // taken: from this call, the next one or the Commit (see above).
  virtual Result<void> InsertResource(const model::Resource& r) = 0;
  // Updates spec, labels (replaced), generation, updated_*, deleted_* and conditions.
  virtual Result<void> UpdateResource(const model::Resource& r) = 0;
  // Replaces the stored conditions only.
  virtual Result<void> ReplaceConditions(const std::string& id,
                                         const std::vector<model::Condition>& conditions) = 0;
  // Removes the row, its labels, conditions and adapter statuses.
  virtual Result<void> DeleteResource(const std::string& id) = 0;
  virtual Result<Page<model::Resource>> ListResources(const ResourceQuery& q) = 0;
  // Direct children of a resource (active and soft-deleted), oldest first.
  virtual Result<std::vector<model::Resource>> ListChildren(const std::string& owner_id,
                                                            Lock lock = Lock::kNone) = 0;
  // Whether the resource has any child (active or soft-deleted), without reading them.
  virtual Result<bool> HasChildren(const std::string& owner_id) = 0;

  // --- adapter statuses ---
  // The rows of the named adapters only (none for an empty list), oldest first: a status report
  // reads what it needs however many other adapters have reported.
  virtual Result<std::vector<model::AdapterStatus>> GetAdapterStatuses(
      const std::string& resource_id, const std::vector<std::string>& adapters) = 0;
  // GetResource(id, lock) and GetAdapterStatuses(id, adapters) in one round trip (a status
  // report's reads). No statuses when the resource does not exist.
  virtual Result<ResourceWithStatuses> GetResourceWithStatuses(
      const std::string& id, Lock lock, const std::vector<std::string>& adapters) = 0;
  virtual Result<Page<model::AdapterStatus>> ListAdapterStatuses(const std::string& resource_id,
                                                                 int64_t offset, int64_t limit) = 0;
  // Inserts, or replaces the row with the same (resource_id, adapter); created_time is kept.
  virtual Result<void> UpsertAdapterStatus(const model::AdapterStatus& s) = 0;

  // --- outbox ---
  // Inserts the row (the store assigns its id, not read back) and wakes the outbox reconcilers
  // on commit.
  virtual Result<void> AppendOutbox(const model::OutboxEvent& e) = 0;
  // The newest unpublished event for that aggregate at that generation, if any.
  virtual Result<std::optional<model::OutboxEvent>> FindPendingOutbox(
      const std::string& aggregate_id, int64_t generation) = 0;
  // Locks up to `limit` unpublished rows due at `now`, oldest first. On PostgreSQL rows locked
  // by another transaction are skipped (FOR UPDATE SKIP LOCKED).
  virtual Result<std::vector<model::OutboxEvent>> ClaimOutbox(int limit, Time now) = 0;
  virtual Result<void> MarkPublished(const std::vector<int64_t>& ids, Time when) = 0;
  // Records a failed attempt: attempts + 1, last_error, next_attempt_time.
  virtual Result<void> MarkFailed(int64_t id, const std::string& error, Time next_attempt) = 0;
  // Deletes up to `limit` rows published before `cutoff`; returns how many.
  virtual Result<int64_t> DeletePublishedBefore(Time cutoff, int limit) = 0;
  virtual Result<Page<model::OutboxEvent>> ListOutbox(const OutboxQuery& q) = 0;
  virtual Result<OutboxStats> GetOutboxStats() = 0;
  // Per kind (only kinds with any): how many are not reconciled, and how many since before
  // `stuck_before`.
  virtual Result<std::vector<ReconcileBacklog>> GetReconcileBacklog(Time stuck_before) = 0;
  // Every (kind, Reconciled status) with resources, from the totals kept on write (O(kinds)).
  virtual Result<std::vector<ResourceCount>> CountResources() = 0;
};

struct MigrationReport {
  std::vector<std::string> applied;  // migration names applied by this call
  int64_t total = 0;                 // migrations known to the binary
};

struct PoolStats {
  int open = 0;
  int in_use = 0;
};

// The only component that speaks SQL. Thread-safe.
class Store {
 public:
  virtual ~Store() = default;

  virtual Result<std::unique_ptr<Tx>> Begin(TxMode mode) = 0;
  // Reads one resource, as a statement of its own would see it: every write committed before the
  // call is in it (nullopt if no resource has that id), and calls `done` with it exactly once,
  // from any thread, possibly before returning. `done` must not block or throw. The default reads
  // with a read Tx's GetResource on this thread; PostgreSQL queues the read for threads of its
  // own, where reads that wait at the same time share one statement (detail::ReadBatcher).
  using ReadDone = std::function<void(Result<std::optional<model::Resource>>)>;
  virtual void ReadResource(const std::string& id, ReadDone done);
  // Cheap round trip to the database, bounded by `timeout`.
  virtual Result<void> Ping(std::chrono::milliseconds timeout) = 0;
  // Applies pending migrations (under an advisory lock on PostgreSQL); a no-op when up to date.
  virtual Result<MigrationReport> Migrate() = 0;
  // Blocks until an outbox row may have been committed (NOTIFY / in-process signal) or `timeout`
  // passes. Returns true when woken by a signal. Spurious wake-ups are allowed.
  virtual bool WaitForOutbox(std::chrono::milliseconds timeout) = 0;
  virtual PoolStats Stats() const = 0;
};

struct StoreOptions {
  int max_connections = 16;                          // PostgreSQL pool bound
  std::chrono::milliseconds query_timeout{30'000};   // per statement
  std::chrono::milliseconds acquire_timeout{5'000};  // waiting for a free connection
  std::chrono::milliseconds busy_timeout{5'000};     // SQLite lock wait
  std::string migrations_dir;                        // default: <source>/migrations
};

// Opens a store from a URL: postgres://… or postgresql://…, sqlite:PATH, sqlite::memory:.
// Does not migrate. InvalidArgument for an unknown scheme, Unavailable if unreachable.
Result<std::unique_ptr<Store>> OpenStore(const std::string& url, const StoreOptions& options = {});

}  // namespace hf::store
