-- A resource's labels and conditions kept on its row as JSON text, so that a read is one row
-- (issue #16; see migrations/postgres/0005_children_documents.sql).
ALTER TABLE resources ADD COLUMN labels_doc TEXT NOT NULL DEFAULT '[]';
ALTER TABLE resources ADD COLUMN conditions_doc TEXT NOT NULL DEFAULT '[]';
UPDATE resources SET
  labels_doc = (SELECT json_group_array(json_array(key, value)) FROM
                  (SELECT key, value FROM resource_labels l
                   WHERE l.resource_id = resources.id ORDER BY key)),
  conditions_doc = (SELECT json_group_array(json_array(type, status, reason, message,
                                                       observed_generation, created_time,
                                                       last_updated_time, last_transition_time))
                    FROM (SELECT * FROM resource_conditions c
                          WHERE c.resource_id = resources.id ORDER BY position));
