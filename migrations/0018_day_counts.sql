-- The upkeep keeps the rollups of today and yesterday from the instance-days that changed since
-- its last round (issue 18) instead of reading every instance-day of the day at every round. It
-- keeps what each instance-day counted with, the counts those add up to and the numeric metric
-- values (whose extremes and percentiles cannot be taken back from a count), for those two days
-- only; older days are computed from instance_days when they are computed at all.

-- Each instance-day's share of its day's rollup, as last counted.
create table day_members (
  app_id integer not null,
  day date not null,
  instance_id uuid not null,
  -- outside the application's excluded environments (the 'counted' scope)
  counted boolean not null,
  app_version text not null,
  environment text,
  deployment_mode text,
  os_arch text,
  metrics jsonb not null,
  snapshots integer not null,
  last_at timestamptz not null,
  -- the instance's last day before this one, in each scope: looked up once, when the
  -- instance-day is first counted (the days before it no longer change once it exists)
  previous_all date,
  previous_counted date,
  primary key (app_id, day, instance_id)
);

-- What the members of one day add up to, in both scopes: field 'reporting' (key '', sums:
-- snapshots), 'previous' (key: the previous day, '' for none), 'share:<field>' for the fields of
-- app_day_shares (key: '' for a null value, else '=' || value), 'metric' (key: the metric; how
-- many members sent it) and 'number' (key: the metric; how many sent a number, and its sum).
create table day_counts (
  app_id integer not null,
  day date not null,
  field text not null,
  key text not null,
  all_instances integer not null,
  counted_instances integer not null,
  all_sum numeric not null,
  counted_sum numeric not null,
  primary key (app_id, day, field, key)
);

-- Rows counted down to nothing are removed at the end of the round, found without reading the day.
create index day_counts_empty on day_counts (app_id, day)
  where all_instances = 0 and counted_instances = 0;

-- How many members of a day have each value of each numeric metric (extremes and percentiles).
create table day_metric_values (
  app_id integer not null,
  day date not null,
  metric text not null,
  value numeric not null,
  all_instances integer not null,
  counted_instances integer not null,
  primary key (app_id, day, metric, value)
);

create index day_metric_values_empty on day_metric_values (app_id, day)
  where all_instances = 0 and counted_instances = 0;

-- How one day's counts were made: the window and excluded environments they hold for, when they
-- were last brought up to date, and the start of the count of instances gone that day: the
-- instances of day - window_days not seen (in the scope) from the day after it to
-- base_through; those seen after base_through are taken away from the members' counts.
create table day_count_states (
  app_id integer not null,
  day date not null,
  window_days integer not null,
  excluded_environments text[] not null,
  counted_at timestamptz not null,
  base_through date not null,
  all_leaving integer not null,
  counted_leaving integer not null,
  primary key (app_id, day)
);
