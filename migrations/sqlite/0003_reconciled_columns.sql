-- Fleet-scale lists (issue #16): the Reconciled condition's status and last_updated_time are kept
-- on the resource row as well, written by the statements that write the conditions, so the
-- ticker's lists walk an index in their order and count from an index alone (see
-- migrations/postgres/0003_reconciled_columns.sql).
ALTER TABLE resources ADD COLUMN reconciled_status TEXT NOT NULL DEFAULT '';  -- '' = none
ALTER TABLE resources ADD COLUMN reconciled_updated_time TEXT NULL;
UPDATE resources SET
  reconciled_status = COALESCE((SELECT status FROM resource_conditions c
                                WHERE c.resource_id = resources.id AND c.type = 'Reconciled'), ''),
  reconciled_updated_time = (SELECT last_updated_time FROM resource_conditions c
                             WHERE c.resource_id = resources.id AND c.type = 'Reconciled');
CREATE INDEX resources_reconciled_created ON resources (kind, reconciled_status, created_time, id);
CREATE INDEX resources_reconciled_id ON resources (kind, reconciled_status, id);
CREATE INDEX resources_reconciled_updated
  ON resources (kind, reconciled_status, reconciled_updated_time);
DROP INDEX resources_kind_created;
CREATE INDEX resources_kind_created ON resources (kind, created_time, id);
