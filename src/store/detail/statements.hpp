#pragma once

#include <string>

#include "store/detail/sql_fragment.hpp"
#include "store/detail/sql_session.hpp"

namespace hf::store::detail {

// Column lists shared by the statements of both dialects; decoders in sql_tx.cpp rely on the order.
// A resource is one row: its labels and conditions ride along as documents (format below).
inline constexpr const char* kResourceColumns =
    "r.id, r.kind, r.name, r.href, r.spec, r.generation, r.owner_id, r.owner_kind, r.owner_href, "
    "r.created_time, r.updated_time, r.deleted_time, r.created_by, r.updated_by, r.deleted_by, "
    "r.labels_doc, r.conditions_doc, r.event_sequence";
inline constexpr const char* kAdapterStatusColumns =
    "resource_id, resource_type, adapter, observed_generation, conditions, data, metadata, "
    "created_time, last_report_time";
inline constexpr const char* kOutboxColumns =
    "id, event_id, aggregate_type, aggregate_id, aggregate_generation, event_type, reason, "
    "payload, created_time, published_time, attempts, next_attempt_time, last_error, "
    "aggregate_sequence";

// The totals kept on write (migrations/*/0004_resource_counts.sql) per kind and Reconciled
// status, the same text in both dialects.
inline constexpr const char* kResourceCountsSql =
    "SELECT kind, reconciled_status, SUM(n) FROM (SELECT kind, reconciled_status, n FROM "
    "resource_counts UNION ALL SELECT kind, reconciled_status, delta FROM resource_count_deltas) "
    "c GROUP BY kind, reconciled_status HAVING SUM(n) > 0 ORDER BY 1, 2";

// The documents of a resource row (migrations/*/0005_children_documents.sql): labels_doc, the
// labels as a JSON array of [key, value] pairs sorted by key, and conditions_doc, the conditions
// as a JSON array of [type, status, reason, message, observed_generation, created_time,
// last_updated_time, last_transition_time] in stored order (times as RFC 3339 text). The write
// statements take them as parameters, store them, and derive resource_labels and
// resource_conditions (which search reads) from them. Written and read by sql_tx.cpp.

// Every fixed statement of the store, in one dialect. Parameter lists are documented with the
// PostgreSQL texts (src/store/postgres/pg_statements.cpp); SQLite uses the same numbering (?n).
// Lists of ids are passed as one JSON text parameter; labels and conditions as their documents.
struct Statements {
  Dialect dialect = Dialect::kPostgres;

  std::string create_migrations_table;  // script
  std::string migrations_lock;          // script run first in Migrate()'s transaction; may be empty
  Statement applied_migrations;
  Statement record_migration;

  Statement get_resource;  // (id) → kResourceColumns
  Statement get_resource_for_update;
  Statement get_resources;  // (ids as a JSON array) → kResourceColumns
  Statement insert_resource;
  Statement update_resource;  // returns the id when the row exists
  Statement replace_conditions;
  Statement delete_resource;
  Statement children;
  Statement children_for_update;
  Statement has_children;  // (owner_id) → one row if it has any
  // (kind, reconciled_status or NULL for any) → the number of such resources, and how many
  // unfolded deltas that sum read (migrations/*/0004_resource_counts.sql).
  Statement count_resources;
  Statement fold_resource_counts;  // moves deltas into the counts; empty in SQLite (it has none)
  Statement resource_counts;       // () → kind, reconciled_status, count; only counts above 0

  Statement adapter_statuses;  // (resource_id, adapters json) → kAdapterStatusColumns
  Statement adapter_statuses_page;
  Statement count_adapter_statuses;
  Statement upsert_adapter_status;

  Statement append_outbox;  // returns the id
  Statement find_pending_outbox;
  Statement claim_outbox;
  Statement mark_published;
  Statement mark_failed;
  Statement delete_published_before;  // returns one row per deleted row
  Statement list_outbox;
  Statement count_outbox;
  Statement outbox_stats;
  Statement reconcile_backlog;

  // The n-th (1-based) placeholder in dynamic SQL: "$n" or "?n".
  [[nodiscard]] std::string Placeholder(size_t n) const {
    return (dialect == Dialect::kPostgres ? "$" : "?") + std::to_string(n);
  }
};

const Statements& PostgresStatements();
const Statements& SqliteStatements();

}  // namespace hf::store::detail
