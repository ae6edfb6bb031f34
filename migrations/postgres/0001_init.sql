-- Initial schema: resources with their labels and aggregated conditions, adapter statuses, and
-- the transactional outbox (DESIGN.md §6). Times are timestamptz, documents jsonb.

CREATE TABLE resources (
  id           varchar(255) PRIMARY KEY,
  kind         varchar(100) NOT NULL,
  name         varchar(100) NOT NULL,
  href         varchar(500) NOT NULL DEFAULT '',
  spec         jsonb        NOT NULL,
  generation   bigint       NOT NULL DEFAULT 1,
  owner_id     varchar(255) NULL,
  owner_kind   varchar(100) NULL,
  owner_href   varchar(500) NULL,
  created_time timestamptz  NOT NULL,
  updated_time timestamptz  NOT NULL,
  deleted_time timestamptz  NULL,
  created_by   varchar(255) NOT NULL,
  updated_by   varchar(255) NOT NULL,
  deleted_by   varchar(255) NULL
);
-- Names are unique per kind among active root resources, and per (kind, owner) for children.
CREATE UNIQUE INDEX resources_kind_name ON resources (kind, name)
  WHERE owner_id IS NULL AND deleted_time IS NULL;
CREATE UNIQUE INDEX resources_kind_owner_name ON resources (kind, owner_id, name)
  WHERE owner_id IS NOT NULL AND deleted_time IS NULL;
CREATE INDEX resources_kind_created ON resources (kind, created_time);
CREATE INDEX resources_owner ON resources (owner_id) WHERE owner_id IS NOT NULL;

CREATE TABLE resource_labels (
  resource_id varchar(255) NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
  key         varchar(255) NOT NULL,
  value       varchar(255) NOT NULL,
  PRIMARY KEY (resource_id, key)
);
CREATE INDEX resource_labels_key_value ON resource_labels (key, value, resource_id);

CREATE TABLE resource_conditions (
  resource_id          varchar(255) NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
  type                 varchar(100) NOT NULL,
  position             integer      NOT NULL,  -- presentation order within the resource
  status               varchar(10)  NOT NULL,
  reason               text         NOT NULL DEFAULT '',
  message              text         NOT NULL DEFAULT '',
  observed_generation  bigint       NOT NULL DEFAULT 0,
  created_time         timestamptz  NOT NULL,
  last_updated_time    timestamptz  NOT NULL,
  last_transition_time timestamptz  NOT NULL,
  PRIMARY KEY (resource_id, type)
);
CREATE INDEX resource_conditions_type_status ON resource_conditions (type, status, resource_id);

CREATE TABLE adapter_statuses (
  resource_id         varchar(255) NOT NULL REFERENCES resources (id) ON DELETE CASCADE,
  resource_type       varchar(100) NOT NULL,
  adapter             varchar(255) NOT NULL,
  observed_generation bigint       NOT NULL,
  conditions          jsonb        NOT NULL DEFAULT '[]',  -- [{type,status,reason,message,last_transition_time}]
  data                jsonb        NOT NULL DEFAULT '{}',
  metadata            jsonb        NULL,
  created_time        timestamptz  NOT NULL,
  last_report_time    timestamptz  NOT NULL,
  PRIMARY KEY (resource_id, adapter)
);

CREATE TABLE outbox (
  id                   bigserial    PRIMARY KEY,
  event_id             varchar(255) NOT NULL UNIQUE,
  aggregate_type       varchar(100) NOT NULL,
  aggregate_id         varchar(255) NOT NULL,
  aggregate_generation bigint       NOT NULL,
  event_type           varchar(255) NOT NULL,
  reason               varchar(50)  NOT NULL,
  payload              text         NOT NULL,
  created_time         timestamptz  NOT NULL,
  published_time       timestamptz  NULL,
  attempts             integer      NOT NULL DEFAULT 0,
  next_attempt_time    timestamptz  NOT NULL,
  last_error           text         NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (next_attempt_time, id) WHERE published_time IS NULL;
CREATE INDEX outbox_pending_aggregate ON outbox (aggregate_id, aggregate_generation)
  WHERE published_time IS NULL;
CREATE INDEX outbox_published ON outbox (published_time) WHERE published_time IS NOT NULL;
CREATE INDEX outbox_aggregate ON outbox (aggregate_id, id);
