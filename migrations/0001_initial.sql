-- The first schema: applications, instances with their latest state, one
-- history row per instance per day, and raw snapshots in daily partitions.
-- Every large table carries app_id so that it can be distributed by
-- application later. No IP address is stored anywhere.

create table applications (
  id integer generated always as identity primary key,
  slug text not null unique,
  name text not null,
  created_at timestamptz not null,
  updated_at timestamptz not null
);

create table instances (
  instance_id uuid primary key,
  app_id integer not null references applications (id),
  public_key bytea not null check (octet_length(public_key) = 32),
  status text not null check (status in ('pending', 'active', 'revoked')),
  app_version text not null,
  environment text,
  deployment_mode text,
  os_arch text,
  first_seen timestamptz not null,
  -- the last register, activation or snapshot, in server time
  last_seen timestamptz not null,
  -- the client timestamp of the last accepted snapshot: the replay guard
  last_snapshot_at timestamptz,
  -- the flattened metrics of the last accepted snapshot
  metrics jsonb not null default '{}'::jsonb
);

create index instances_app_last_seen on instances (app_id, last_seen desc);
create index instances_app_first_seen on instances (app_id, first_seen desc, instance_id desc);
create index instances_first_seen on instances (first_seen desc, instance_id desc);

-- History: the last state of each instance on each UTC day it reported.
create table instance_days (
  app_id integer not null,
  day date not null,
  instance_id uuid not null,
  app_version text not null,
  environment text,
  deployment_mode text,
  os_arch text,
  metrics jsonb not null,
  snapshots integer not null,
  last_at timestamptz not null,
  primary key (app_id, day, instance_id)
);

create index instance_days_instance on instance_days (instance_id, day desc);

-- Raw snapshots, kept for a short window, in one partition per day of
-- arrival that is dropped whole when it ages out.
create table snapshots (
  app_id integer not null,
  instance_id uuid not null,
  taken_at timestamptz not null,
  received_at timestamptz not null,
  app_version text not null,
  metrics jsonb not null
) partition by range (received_at);

-- Catches rows when a day's partition is missing, so no snapshot is lost.
create table snapshots_default partition of snapshots default;

create index snapshots_instance on snapshots (instance_id, taken_at desc);
