#include <string>

#include "store/detail/statements.hpp"

namespace hf::store::detail {
namespace {

using std::string;

// Inserts the conditions document `param` (format in statements.hpp) for resource ?1, keeping
// its order.
string InsertConditions(const string& param) {
  return "INSERT INTO resource_conditions (resource_id, type, status, reason, message, "
         "observed_generation, created_time, last_updated_time, last_transition_time, position) "
         "SELECT ?1, value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, "
         "value ->> 5, value ->> 6, value ->> 7, key FROM json_each(" +
         param + ") WHERE EXISTS (SELECT 1 FROM resources WHERE id = ?1)";
}
string InsertLabels(const string& param) {
  return "INSERT INTO resource_labels (resource_id, key, value) SELECT ?1, value ->> 0, "
         "value ->> 1 FROM json_each(" +
         param + ") WHERE EXISTS (SELECT 1 FROM resources WHERE id = ?1)";
}
// The conditions document `param` on the row (migrations/sqlite/0005_children_documents.sql), and
// the columns that copy its Reconciled condition (migrations/sqlite/0003_reconciled_columns.sql).
string SetConditions(const string& param) {
  const string of = " FROM json_each(" + param + ") WHERE value ->> 0 = 'Reconciled' LIMIT 1";
  return "conditions_doc = " + param + ", reconciled_status = COALESCE((SELECT value ->> 1" + of +
         "), ''), reconciled_updated_time = (SELECT value ->> 6" + of + ")";
}
string UpdateConditions(const string& param) {
  return "UPDATE resources SET " + SetConditions(param) + " WHERE id = ?1";
}
const string kDeleteLabels = "DELETE FROM resource_labels WHERE resource_id = ?1";
const string kDeleteConditions = "DELETE FROM resource_conditions WHERE resource_id = ?1";

// Same statements and parameter numbering as pg_statements.cpp. Writers hold the database's
// write lock for the whole transaction, so no row locks are needed (FOR UPDATE is dropped).
Statements Build() {
  const string resource_select = string("SELECT ") + kResourceColumns + " FROM resources r ";
  const string outbox_select = string("SELECT ") + kOutboxColumns + " FROM outbox ";
  const string outbox_filter =
      "WHERE (?1 IS NULL OR aggregate_id = ?1) AND (?2 IS NULL OR "
      "(published_time IS NOT NULL) = ?2) AND (?3 IS NULL OR id > ?3) AND "
      "(?4 IS NULL OR aggregate_type = ?4) ";
  Statements s;
  s.dialect = Dialect::kSqlite;
  s.create_migrations_table =
      "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, "
      "applied_time TEXT NOT NULL)";
  s.applied_migrations = {"applied_migrations", {"SELECT name FROM schema_migrations"}};
  s.record_migration = {"record_migration",
                        {"INSERT INTO schema_migrations (name, applied_time) VALUES (?1, ?2)"}};

  s.get_resource = {"get_resource", {resource_select + "WHERE r.id = ?1"}};
  s.get_resource_for_update = s.get_resource;
  s.get_resources = {"get_resources",
                     {resource_select + "WHERE r.id IN (SELECT value FROM json_each(?1))"}};
  s.insert_resource = {
      "insert_resource",
      {"INSERT INTO resources (id, kind, name, href, spec, generation, owner_id, owner_kind, "
       "owner_href, created_time, updated_time, deleted_time, created_by, updated_by, deleted_by, "
       "labels_doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
       InsertLabels("?16"), InsertConditions("?17"), UpdateConditions("?17")}};
  s.update_resource = {
      "update_resource",
      {kDeleteLabels, InsertLabels("?8"), kDeleteConditions, InsertConditions("?9"),
       "UPDATE resources SET spec = ?2, generation = ?3, updated_time = ?4, updated_by = ?5, "
       "deleted_time = ?6, deleted_by = ?7, labels_doc = ?8, " +
           SetConditions("?9") + " WHERE id = ?1 RETURNING id"}};
  s.replace_conditions = {"replace_conditions",
                          {kDeleteConditions, InsertConditions("?2"), UpdateConditions("?2")}};
  s.delete_resource = {"delete_resource", {"DELETE FROM resources WHERE id = ?1 RETURNING id"}};
  s.children = {"children",
                {resource_select + "WHERE r.owner_id = ?1 ORDER BY r.created_time, r.id"}};
  s.children_for_update = s.children;

  s.has_children = {"has_children", {"SELECT 1 FROM resources WHERE owner_id = ?1 LIMIT 1"}};

  const string status_select =
      string("SELECT ") + kAdapterStatusColumns + " FROM adapter_statuses WHERE resource_id = ?1 ";
  s.adapter_statuses = {"adapter_statuses",
                        {status_select + "AND adapter IN (SELECT value FROM json_each(?2)) "
                                         "ORDER BY created_time, adapter"}};
  s.adapter_statuses_page = {"adapter_statuses_page",
                             {status_select + "ORDER BY created_time, adapter LIMIT ?2 OFFSET ?3"}};
  s.count_adapter_statuses = {"count_adapter_statuses",
                              {"SELECT COUNT(*) FROM adapter_statuses WHERE resource_id = ?1"}};
  s.upsert_adapter_status = {
      "upsert_adapter_status",
      {string("INSERT INTO adapter_statuses (") + kAdapterStatusColumns +
       ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
       "ON CONFLICT (resource_id, adapter) DO UPDATE SET resource_type = excluded.resource_type, "
       "observed_generation = excluded.observed_generation, conditions = excluded.conditions, "
       "data = excluded.data, metadata = excluded.metadata, "
       "last_report_time = excluded.last_report_time"}};

  // The event takes the resource's next event_sequence (migrations/postgres/0006; SQLite has one
  // writer at a time); NULL when there is no row.
  s.append_outbox = {
      "append_outbox",
      {"UPDATE resources SET event_sequence = event_sequence + 1 WHERE id = ?3",
       "INSERT INTO outbox (event_id, aggregate_type, aggregate_id, aggregate_generation, "
       "event_type, reason, payload, created_time, attempts, next_attempt_time, last_error, "
       "aggregate_sequence) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
       "(SELECT event_sequence FROM resources WHERE id = ?3)) RETURNING id"}};
  s.find_pending_outbox = {
      "find_pending_outbox",
      {outbox_select + "WHERE aggregate_id = ?1 AND aggregate_generation = ?2 AND "
                       "published_time IS NULL ORDER BY id DESC LIMIT 1"}};
  s.claim_outbox = {
      "claim_outbox",
      {outbox_select + "WHERE published_time IS NULL AND next_attempt_time <= ?1 ORDER BY id "
                       "LIMIT ?2"}};
  s.mark_published = {"mark_published",
                      {"UPDATE outbox SET published_time = ?2 WHERE id IN "
                       "(SELECT value FROM json_each(?1))"}};
  s.mark_failed = {"mark_failed",
                   {"UPDATE outbox SET attempts = attempts + 1, last_error = ?2, "
                    "next_attempt_time = ?3 WHERE id = ?1"}};
  s.delete_published_before = {
      "delete_published_before",
      {"DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE published_time < ?1 "
       "ORDER BY published_time LIMIT ?2) RETURNING 1"}};
  s.list_outbox = {"list_outbox",
                   {outbox_select + outbox_filter + "ORDER BY id LIMIT ?5 OFFSET ?6"}};
  // The triggers write resource_counts directly (migrations/sqlite/0004_resource_counts.sql): the
  // count reads no deltas, so the store never asks for fold_resource_counts, left empty.
  s.count_resources = {"count_resources",
                       {"SELECT (SELECT COALESCE(SUM(n), 0) FROM resource_counts WHERE kind = ?1 "
                        "AND (?2 IS NULL OR reconciled_status = ?2)), 0"}};
  s.resource_counts = {"resource_counts", {kResourceCountsSql}};
  s.count_outbox = {"count_outbox", {"SELECT COUNT(*) FROM outbox " + outbox_filter}};
  s.outbox_stats = {
      "outbox_stats",
      {"SELECT COUNT(*), MIN(created_time), (SELECT COALESCE(MAX(id), 0) FROM outbox) FROM "
       "outbox WHERE published_time IS NULL"}};
  s.reconcile_backlog = {
      "reconcile_backlog",
      {"SELECT r.kind, COUNT(*), SUM(CASE WHEN c.last_transition_time < ?1 THEN 1 ELSE 0 END), "
       "MIN(c.last_transition_time) FROM resource_conditions c JOIN resources r ON r.id = "
       "c.resource_id WHERE c.type = 'Reconciled' AND c.status = 'False' GROUP BY r.kind"}};
  return s;
}

}  // namespace

const Statements& SqliteStatements() {
  static const Statements statements = Build();
  return statements;
}

}  // namespace hf::store::detail
