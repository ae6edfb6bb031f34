-- Each resource counts the events emitted for it, and each event carries its number (issue #16;
-- see migrations/postgres/0006_event_sequence.sql).
ALTER TABLE resources ADD COLUMN event_sequence INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN aggregate_sequence INTEGER NULL;
