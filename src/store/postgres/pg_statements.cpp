#include <string>

#include "store/detail/statements.hpp"

namespace hf::store::detail {
namespace {

using std::string;

// The conditions document ($n, format in statements.hpp) as rows, with their 1-based position.
string ConditionRows(const string& param) {
  return "SELECT c->>0 AS type, c->>1 AS status, c->>2 AS reason, c->>3 AS message, "
         "(c->>4)::bigint AS observed_generation, (c->>5)::timestamptz AS created_time, "
         "(c->>6)::timestamptz AS last_updated_time, (c->>7)::timestamptz AS "
         "last_transition_time, t.position "
         "FROM jsonb_array_elements(" +
         param + "::text::jsonb) WITH ORDINALITY AS t(c, position)";
}
const string kConditionInsert =
    "INSERT INTO resource_conditions (resource_id, type, status, reason, message, "
    "observed_generation, created_time, last_updated_time, last_transition_time, position) ";
// Replaces the conditions of the resource ids produced by `ids` with the document `param`,
// as two CTEs over disjoint rows (upsert the new types, delete the others). A row that would not
// change is left alone (locked, not rewritten): a status report usually moves one condition of
// five, and each rewrite is a new row version and two index entries.
string ReplaceConditionsCtes(const string& ids, const string& param) {
  return "dc AS (DELETE FROM resource_conditions WHERE resource_id IN (" + ids +
         ") AND type NOT IN (SELECT c->>0 FROM jsonb_array_elements(" + param +
         "::text::jsonb) c)), ic AS (" + kConditionInsert + "SELECT i.id, n.* FROM (" + ids +
         ") i, (" + ConditionRows(param) +
         ") n ON CONFLICT (resource_id, type) DO UPDATE SET status = excluded.status, "
         "reason = excluded.reason, message = excluded.message, "
         "observed_generation = excluded.observed_generation, created_time = "
         "excluded.created_time, last_updated_time = excluded.last_updated_time, "
         "last_transition_time = excluded.last_transition_time, position = excluded.position "
         "WHERE (resource_conditions.status, resource_conditions.reason, "
         "resource_conditions.message, resource_conditions.observed_generation, "
         "resource_conditions.created_time, resource_conditions.last_updated_time, "
         "resource_conditions.last_transition_time, resource_conditions.position) IS DISTINCT "
         "FROM (excluded.status, excluded.reason, excluded.message, excluded.observed_generation, "
         "excluded.created_time, excluded.last_updated_time, excluded.last_transition_time, "
         "excluded.position))";
}
// The resource columns that copy the Reconciled condition of the conditions document `param`
// (migrations/postgres/0003_reconciled_columns.sql): status ('' when absent), last_updated_time.
string ReconciledStatus(const string& param) {
  return "COALESCE((SELECT c->>1 FROM jsonb_array_elements(" + param +
         "::text::jsonb) c WHERE c->>0 = 'Reconciled' LIMIT 1), '')";
}
string ReconciledUpdated(const string& param) {
  return "(SELECT (c->>6)::timestamptz FROM jsonb_array_elements(" + param +
         "::text::jsonb) c WHERE c->>0 = 'Reconciled' LIMIT 1)";
}
// The conditions document `param` on the row (migrations/postgres/0005_children_documents.sql),
// with the Reconciled copy.
string SetConditions(const string& param) {
  return "conditions_doc = " + param + ", reconciled_status = " + ReconciledStatus(param) +
         ", reconciled_updated_time = " + ReconciledUpdated(param);
}
// The labels document `param` as (key, value) rows.
string LabelRows(const string& param) {
  return "(SELECT l->>0 AS key, l->>1 AS value FROM jsonb_array_elements(" + param +
         "::text::jsonb) l)";
}

// Ids as a bigint/text array from a JSON array parameter. A list of numbers ("[1,2]") is read as
// an array literal ("{1,2}"), which planning folds into a constant: cheaper to plan than a
// subquery over the JSON, and its length is known. Text needs the JSON reader (its escapes).
string IdArray(const string& param, const string& type) {
  if (type == "bigint") return "translate(" + param + ", '[]', '{}')::bigint[]";
  return "ARRAY(SELECT jsonb_array_elements_text(" + param + "::jsonb)::" + type + ")";
}

Statements Build() {
  const string resource_select = string("SELECT ") + kResourceColumns + " FROM resources r ";
  const string outbox_select = string("SELECT ") + kOutboxColumns + " FROM outbox ";
  const string outbox_filter =
      "WHERE ($1::text IS NULL OR aggregate_id = $1) AND ($2::int IS NULL OR "
      "(published_time IS NOT NULL) = ($2::int = 1)) AND ($3::bigint IS NULL OR id > $3) AND "
      "($4::text IS NULL OR aggregate_type = $4) ";
  Statements s;
  s.dialect = Dialect::kPostgres;
  s.create_migrations_table =
      "CREATE TABLE IF NOT EXISTS schema_migrations (name varchar(255) PRIMARY KEY, "
      "applied_time timestamptz NOT NULL)";
  // Serialises concurrent migrators (constant key: "hyperfleet migrations").
  s.migrations_lock =
      "SET LOCAL statement_timeout = '5min'; SELECT pg_advisory_xact_lock(7236984102376051)";
  s.applied_migrations = {"applied_migrations", {"SELECT name FROM schema_migrations"}};
  s.record_migration = {"record_migration",
                        {"INSERT INTO schema_migrations (name, applied_time) VALUES ($1, $2)"}};

  s.get_resource = {"get_resource", {resource_select + "WHERE r.id = $1"}};
  // Through the primary key whatever the statistics (a plan kept from when the table was nearly
  // empty would scan it whole on every batch once it has grown, issue #16).
  s.get_resources = {"get_resources",
                     {resource_select + "WHERE r.id = ANY(" + IdArray("$1", "text") + ")"},
                     /*use_index=*/true};
  s.get_resource_for_update = {"get_resource_for_update",
                               {resource_select + "WHERE r.id = $1 FOR UPDATE OF r"}};
  // One round trip: the row, its labels ($16) and conditions ($17) documents.
  s.insert_resource = {
      "insert_resource",
      {"WITH r AS (INSERT INTO resources (id, kind, name, href, spec, generation, owner_id, "
       "owner_kind, owner_href, created_time, updated_time, deleted_time, created_by, updated_by, "
       "deleted_by, labels_doc, conditions_doc, reconciled_status, reconciled_updated_time) VALUES "
       "($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, " +
       ReconciledStatus("$17") + ", " + ReconciledUpdated("$17") +
       ") RETURNING id), "
       "l AS (INSERT INTO resource_labels (resource_id, key, value) SELECT r.id, l.key, l.value "
       "FROM r, " +
       LabelRows("$16") +
       " l), "
       "c AS (" +
       kConditionInsert + "SELECT r.id, n.* FROM r, (" + ConditionRows("$17") + ") n) SELECT 1"}};
  // ($1 id, $2 spec, $3 generation, $4 updated_time, $5 updated_by, $6 deleted_time,
  //  $7 deleted_by, $8 labels, $9 conditions) → id if the row exists. One round trip.
  s.update_resource = {
      "update_resource",
      {"WITH u AS (UPDATE resources SET spec = $2::jsonb, generation = $3, updated_time = $4, "
       "updated_by = $5, deleted_time = $6, deleted_by = $7, labels_doc = $8, " +
       SetConditions("$9") +
       " WHERE id = $1 RETURNING id), "
       "dl AS (DELETE FROM resource_labels WHERE resource_id IN (SELECT id FROM u) AND key NOT IN "
       "(SELECT l->>0 FROM jsonb_array_elements($8::text::jsonb) l)), "
       "il AS (INSERT INTO resource_labels (resource_id, key, value) SELECT u.id, l.key, l.value "
       "FROM u, " +
       LabelRows("$8") +
       " l ON CONFLICT (resource_id, key) DO UPDATE SET value = excluded.value), " +
       ReplaceConditionsCtes("SELECT id FROM u", "$9") + " SELECT id FROM u"}};
  s.replace_conditions = {
      "replace_conditions",
      {"WITH u AS (UPDATE resources SET " + SetConditions("$2") + " WHERE id = $1), " +
       ReplaceConditionsCtes("SELECT $1::varchar AS id", "$2") + " SELECT 1"}};
  s.delete_resource = {"delete_resource", {"DELETE FROM resources WHERE id = $1 RETURNING id"}};
  s.children = {"children",
                {resource_select + "WHERE r.owner_id = $1 ORDER BY r.created_time, r.id"}};
  s.children_for_update = {
      "children_for_update",
      {resource_select + "WHERE r.owner_id = $1 ORDER BY r.created_time, r.id FOR UPDATE OF r"}};

  s.has_children = {"has_children", {"SELECT 1 FROM resources WHERE owner_id = $1 LIMIT 1"}};

  const string status_select =
      string("SELECT ") + kAdapterStatusColumns + " FROM adapter_statuses WHERE resource_id = $1 ";
  s.adapter_statuses = {"adapter_statuses",
                        {status_select + "AND adapter = ANY(" + IdArray("$2", "text") +
                         ") ORDER BY created_time, adapter"}};
  s.adapter_statuses_page = {"adapter_statuses_page",
                             {status_select + "ORDER BY created_time, adapter LIMIT $2 OFFSET $3"}};
  s.count_adapter_statuses = {"count_adapter_statuses",
                              {"SELECT COUNT(*) FROM adapter_statuses WHERE resource_id = $1"}};
  s.upsert_adapter_status = {
      "upsert_adapter_status",
      {string("INSERT INTO adapter_statuses (") + kAdapterStatusColumns +
       ") VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8, $9) "
       "ON CONFLICT (resource_id, adapter) DO UPDATE SET resource_type = excluded.resource_type, "
       "observed_generation = excluded.observed_generation, conditions = excluded.conditions, "
       "data = excluded.data, metadata = excluded.metadata, "
       "last_report_time = excluded.last_report_time"}};

  // The event takes the resource's next event_sequence (migrations/postgres/0006): the UPDATE
  // locks the row first, so numbers follow commit order per resource; NULL when there is no row.
  // The NOTIFY is delivered when the transaction commits (and folded with others of the same Tx).
  s.append_outbox = {
      "append_outbox",
      {"WITH s AS (UPDATE resources SET event_sequence = event_sequence + 1 WHERE id = $3 "
       "RETURNING event_sequence), o AS (INSERT INTO outbox (event_id, aggregate_type, "
       "aggregate_id, aggregate_generation, event_type, reason, payload, created_time, attempts, "
       "next_attempt_time, last_error, aggregate_sequence) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
       "$9, $10, $11, (SELECT event_sequence FROM s)) RETURNING id) "
       "SELECT id, pg_notify('hyperfleet_outbox', '') FROM o"}};
  s.find_pending_outbox = {
      "find_pending_outbox",
      {outbox_select + "WHERE aggregate_id = $1 AND aggregate_generation = $2 AND "
                       "published_time IS NULL ORDER BY id DESC LIMIT 1"}};
  // Read in id order from outbox_unpublished, never sorted: a sort takes the whole backlog.
  s.claim_outbox = {
      "claim_outbox",
      {outbox_select + "WHERE published_time IS NULL AND next_attempt_time <= $1 ORDER BY id "
                       "LIMIT $2 FOR UPDATE SKIP LOCKED"},
      /*use_index=*/true};
  // Through the primary key whatever the statistics (a plan kept from when the outbox was nearly
  // empty would scan it whole).
  s.mark_published = {
      "mark_published",
      {"UPDATE outbox SET published_time = $2 WHERE id = ANY(" + IdArray("$1", "bigint") + ")"},
      /*use_index=*/true};
  s.mark_failed = {"mark_failed",
                   {"UPDATE outbox SET attempts = attempts + 1, last_error = $2, "
                    "next_attempt_time = $3 WHERE id = $1"}};
  s.delete_published_before = {
      "delete_published_before",
      {"DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE published_time < $1 "
       "ORDER BY published_time LIMIT $2) RETURNING 1"}};
  s.list_outbox = {"list_outbox",
                   {outbox_select + outbox_filter + "ORDER BY id LIMIT $5 OFFSET $6"}};
  const string count_key = "kind = $1 AND ($2::text IS NULL OR reconciled_status = $2)";
  s.count_resources = {
      "count_resources",
      {"SELECT (SELECT COALESCE(SUM(n), 0) FROM resource_counts WHERE " + count_key +
       ")::bigint + d.sum, d.rows FROM (SELECT COALESCE(SUM(delta), 0)::bigint AS sum, COUNT(*) "
       "AS rows FROM resource_count_deltas WHERE " +
       count_key + ") d"}};
  // Folds the oldest deltas; concurrent folds skip each other's rows rather than wait.
  s.fold_resource_counts = {
      "fold_resource_counts",
      {"WITH moved AS (DELETE FROM resource_count_deltas WHERE id IN (SELECT id FROM "
       "resource_count_deltas ORDER BY id LIMIT 10000 FOR UPDATE SKIP LOCKED) RETURNING kind, "
       "reconciled_status, delta) INSERT INTO resource_counts (kind, reconciled_status, n) SELECT "
       "kind, reconciled_status, SUM(delta) FROM moved GROUP BY 1, 2 ON CONFLICT (kind, "
       "reconciled_status) DO UPDATE SET n = resource_counts.n + excluded.n"}};
  s.resource_counts = {"resource_counts", {kResourceCountsSql}};
  s.count_outbox = {"count_outbox", {"SELECT COUNT(*) FROM outbox " + outbox_filter}};
  s.outbox_stats = {
      "outbox_stats",
      {"SELECT COUNT(*), MIN(created_time), (SELECT COALESCE(MAX(id), 0) FROM outbox) FROM "
       "outbox WHERE published_time IS NULL"}};
  s.reconcile_backlog = {
      "reconcile_backlog",
      {"SELECT r.kind, COUNT(*), SUM(CASE WHEN c.last_transition_time < $1 THEN 1 ELSE 0 END), "
       "MIN(c.last_transition_time) FROM resource_conditions c JOIN resources r ON r.id = "
       "c.resource_id WHERE c.type = 'Reconciled' AND c.status = 'False' GROUP BY r.kind"}};
  return s;
}

}  // namespace

const Statements& PostgresStatements() {
  static const Statements statements = Build();
  return statements;
}

}  // namespace hf::store::detail
