-- Each resource counts the events emitted for it, and each event carries its number (issue #16).
-- An adapter that has read a resource at event_sequence N has seen every change that an event
-- numbered N or lower announces, so it can skip such an event when it arrives late (behind a
-- backlog) instead of reconciling again. The number is taken by the statement that appends the
-- event, under the resource's row lock, so numbers follow commit order per resource across any
-- number of API replicas, without comparing clocks. Events appended before this migration, or
-- for a resource already removed, have no number (NULL) and are never skipped.
ALTER TABLE resources ADD COLUMN event_sequence bigint NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN aggregate_sequence bigint NULL;
