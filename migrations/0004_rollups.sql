-- Daily per-application rollups, computed from instance_days by the server's
-- upkeep: today and yesterday on every run, any other day when it has no
-- rollup yet, was computed with another active window, or was marked stale
-- because a late snapshot changed its history. Pages over long periods and
-- the admin metrics series read these rows instead of the history.

create table app_days (
  app_id integer not null,
  day date not null,
  -- the active window (SHM_ACTIVE_DAYS) the counts below were computed with
  window_days integer not null,
  -- instances that sent a snapshot that day
  reporting integer not null,
  -- instances that sent a snapshot in the window_days days ending that day
  active integer not null,
  -- instances whose first snapshot ever was that day
  new integer not null,
  -- instances back that day after a silence longer than the window
  returned integer not null,
  -- instances that left the window that day (last snapshot window_days days before)
  gone integer not null,
  snapshots bigint not null,
  computed_at timestamptz not null,
  primary key (app_id, day)
);

-- How many instances reporting that day had each value of a field: 'version',
-- 'os_arch', 'deployment_mode', 'environment', or 'metric:<key>' for string
-- and boolean metrics. A null value means "not sent". Only the most common
-- values of each field are kept; the rest is the total minus these.
create table app_day_shares (
  app_id integer not null,
  day date not null,
  field text not null,
  value text,
  instances integer not null
);

create index app_day_shares_app_day on app_day_shares (app_id, day, field);

-- Each metric key sent that day: how many instances sent it, and over the
-- numbers among them (each instance's last value of the day) the sum,
-- extremes and percentiles.
create table app_day_metrics (
  app_id integer not null,
  day date not null,
  metric text not null,
  instances integer not null,
  numbers integer not null,
  sum double precision,
  min double precision,
  max double precision,
  p50 double precision,
  p90 double precision,
  p99 double precision,
  primary key (app_id, day, metric)
);

-- Days whose history changed after their rollup was computed (a snapshot
-- that arrived late, an import). Each mark takes a new number, so the upkeep
-- clears a mark only when nobody marked the day again while it computed.
create table rollup_stale (
  app_id integer not null,
  day date not null,
  mark bigserial not null,
  primary key (app_id, day)
);

-- Each application's latest state in one row: instance counts by status,
-- active instances by version and platform (the most common values, as
-- [{value, instances}] per field), every numeric metric over the active
-- instances' latest values ({key: {instances, sum, avg, min, max}}), and the
-- versions and environments any instance has (the instances page's filters).
-- Recomputed by the upkeep; badges, the overview and the admin API read it.
create table app_summaries (
  app_id integer primary key,
  window_days integer not null,
  computed_at timestamptz not null,
  instances integer not null,
  active integer not null,
  pending integer not null,
  revoked integer not null,
  last_seen timestamptz,
  breakdowns jsonb not null,
  metrics jsonb not null,
  filter_values jsonb not null
);

-- Instances that sent a snapshot in each hour of the last day, in all (null
-- version) and by version, counted by the upkeep from the raw snapshots.
create table app_hours (
  app_id integer not null,
  hour timestamptz not null,
  version text,
  instances integer not null,
  computed_at timestamptz not null
);

create index app_hours_app_hour on app_hours (app_id, hour);

-- The hourly counts read an application's snapshots of the last hours.
create index snapshots_app_received on snapshots (app_id, received_at);

-- The instances page filtered by version, newest first, reads only that version's instances.
create index instances_app_version_first_seen
  on instances (app_id, app_version, first_seen desc, instance_id desc);
