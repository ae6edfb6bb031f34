-- Exact totals without counting the fleet (issue #16; see
-- migrations/postgres/0004_resource_counts.sql). SQLite has one writer at a time, so the triggers
-- update the counts directly; resource_count_deltas exists so that both dialects answer the
-- same count statement, and stays empty.
CREATE TABLE resource_counts (
  kind TEXT NOT NULL,
  reconciled_status TEXT NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (kind, reconciled_status)
);
CREATE TABLE resource_count_deltas (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  reconciled_status TEXT NOT NULL,
  delta INTEGER NOT NULL
);
CREATE TRIGGER resources_count_insert AFTER INSERT ON resources BEGIN
  INSERT INTO resource_counts (kind, reconciled_status, n)
    VALUES (new.kind, new.reconciled_status, 1)
    ON CONFLICT (kind, reconciled_status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER resources_count_delete AFTER DELETE ON resources BEGIN
  UPDATE resource_counts SET n = n - 1
    WHERE kind = old.kind AND reconciled_status = old.reconciled_status;
END;
CREATE TRIGGER resources_count_update AFTER UPDATE OF kind, reconciled_status ON resources
  WHEN old.kind IS NOT new.kind OR old.reconciled_status IS NOT new.reconciled_status BEGIN
  UPDATE resource_counts SET n = n - 1
    WHERE kind = old.kind AND reconciled_status = old.reconciled_status;
  INSERT INTO resource_counts (kind, reconciled_status, n)
    VALUES (new.kind, new.reconciled_status, 1)
    ON CONFLICT (kind, reconciled_status) DO UPDATE SET n = n + 1;
END;
INSERT INTO resource_counts (kind, reconciled_status, n)
  SELECT kind, reconciled_status, COUNT(*) FROM resources GROUP BY 1, 2;
