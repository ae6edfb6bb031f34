-- Initial schema: resources with their labels and aggregated conditions, adapter statuses, and
-- the transactional outbox (DESIGN.md §6). Times are TEXT in hf::FormatTime form
-- ("2026-01-02T03:04:05.123456Z", which sorts like time), documents are JSON TEXT.

CREATE TABLE resources (
  id           TEXT         PRIMARY KEY,
  kind         TEXT         NOT NULL,
  name         TEXT         NOT NULL,
  href         TEXT         NOT NULL DEFAULT '',
  spec         TEXT         NOT NULL,
  generation   INTEGER      NOT NULL DEFAULT 1,
  owner_id     TEXT         NULL,
  owner_kind   TEXT         NULL,
  owner_href   TEXT         NULL,
  created_time TEXT         NOT NULL,
  updated_time TEXT         NOT NULL,
  deleted_time TEXT         NULL,
  created_by   TEXT         NOT NULL,
  updated_by   TEXT         NOT NULL,
  deleted_by   TEXT         NULL
);
-- Names are unique per kind among active root resources, and per (kind, owner) for children.
CREATE UNIQUE INDEX resources_kind_name ON resources (kind, name)
  WHERE owner_id IS NULL AND deleted_time IS NULL;
CREATE UNIQUE INDEX resources_kind_owner_name ON resources (kind, owner_id, name)
  WHERE owner_id IS NOT NULL AND deleted_time IS NULL;
CREATE INDEX resources_kind_created ON resources (kind, created_time);
CREATE INDEX resources_owner ON resources (owner_id) WHERE owner_id IS NOT NULL;

CREATE TABLE resource_labels (
  resource_id TEXT         NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
  key         TEXT         NOT NULL,
  value       TEXT         NOT NULL,
  PRIMARY KEY (resource_id, key)
);
CREATE INDEX resource_labels_key_value ON resource_labels (key, value, resource_id);

CREATE TABLE resource_conditions (
  resource_id          TEXT         NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
  type                 TEXT         NOT NULL,
  position             INTEGER      NOT NULL,  -- presentation order within the resource
  status               TEXT         NOT NULL,
  reason               text         NOT NULL DEFAULT '',
  message              text         NOT NULL DEFAULT '',
  observed_generation  INTEGER      NOT NULL DEFAULT 0,
  created_time         TEXT         NOT NULL,
  last_updated_time    TEXT         NOT NULL,
  last_transition_time TEXT         NOT NULL,
  PRIMARY KEY (resource_id, type)
);
CREATE INDEX resource_conditions_type_status ON resource_conditions (type, status, resource_id);

CREATE TABLE adapter_statuses (
  resource_id         TEXT         NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
  resource_type       TEXT         NOT NULL,
  adapter             TEXT         NOT NULL,
  observed_generation INTEGER      NOT NULL,
  conditions          TEXT         NOT NULL DEFAULT '[]',  -- [{type,status,reason,message,last_transition_time}]
  data                TEXT         NOT NULL DEFAULT '{}',
  metadata            TEXT         NULL,
  created_time        TEXT         NOT NULL,
  last_report_time    TEXT         NOT NULL,
  PRIMARY KEY (resource_id, adapter)
);

CREATE TABLE outbox (
  id                   INTEGER      PRIMARY KEY AUTOINCREMENT,
  event_id             TEXT         NOT NULL UNIQUE,
  aggregate_type       TEXT         NOT NULL,
  aggregate_id         TEXT         NOT NULL,
  aggregate_generation INTEGER      NOT NULL,
  event_type           TEXT         NOT NULL,
  reason               TEXT         NOT NULL,
  payload              text         NOT NULL,
  created_time         TEXT         NOT NULL,
  published_time       TEXT         NULL,
  attempts             INTEGER      NOT NULL DEFAULT 0,
  next_attempt_time    TEXT         NOT NULL,
  last_error           text         NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (next_attempt_time, id) WHERE published_time IS NULL;
CREATE INDEX outbox_pending_aggregate ON outbox (aggregate_id, aggregate_generation)
  WHERE published_time IS NULL;
CREATE INDEX outbox_published ON outbox (published_time) WHERE published_time IS NOT NULL;
CREATE INDEX outbox_aggregate ON outbox (aggregate_id, id);
