-- The upkeep keeps each application's summary from the instances that changed since its last
-- round (issue 18) instead of reading every instance at every round. It keeps what each instance
-- counted with, the counts those add up to, and the numeric metric values (whose extremes cannot
-- be taken back from a count); instances changed other than by a snapshot or an activation (which
-- move last_seen, read by its index) are noted by triggers.

-- Each instance's share of its application's summary, as last counted.
create table summary_members (
  instance_id uuid primary key,
  app_id integer not null,
  status text not null,
  -- status active and seen within the active window, as of the round that counted it
  active boolean not null,
  -- outside the application's excluded environments (the 'counted' scope)
  counted boolean not null,
  app_version text not null,
  environment text,
  deployment_mode text,
  os_arch text,
  -- the numeric metrics it counted with, while active ('{}' otherwise)
  metrics jsonb not null,
  -- the instance's last_seen and last_snapshot_at when it was counted: a round skips an instance
  -- seen again since its last round only when these are still the same
  last_seen timestamptz not null,
  last_snapshot_at timestamptz
);

create index summary_members_app on summary_members (app_id);

-- How many members count in each figure, in both scopes: field 'status' (key: the status),
-- 'active', the active members' 'app_version', 'os_arch', 'environment' and 'deployment_mode',
-- any member's 'any_version' and 'any_environment', and the active members' numeric 'metric'
-- (key: its name) with the sum of their values. key is '' for a null value, else '=' || value.
create table summary_counts (
  app_id integer not null,
  field text not null,
  key text not null,
  all_instances integer not null,
  counted_instances integer not null,
  all_sum numeric not null,
  counted_sum numeric not null,
  primary key (app_id, field, key)
);

-- Rows counted down to nothing are removed at the end of the round.
create index summary_counts_empty on summary_counts (app_id) where all_instances = 0;

-- How many active members have each value of each numeric metric: its extremes are the ends of
-- the key.
create table summary_metric_values (
  app_id integer not null,
  metric text not null,
  value numeric not null,
  all_instances integer not null,
  counted_instances integer not null,
  primary key (app_id, metric, value)
);

create index summary_metric_values_empty on summary_metric_values (app_id)
  where all_instances = 0;

-- Instances registered, deleted, or changed in status or metadata: the next round counts them
-- again. A snapshot that changes only metrics and last_seen notes nothing (the round finds it by
-- last_seen), so ingestion's statement writes no row here.
create table summary_changes (
  id bigserial primary key,
  app_id integer not null,
  instance_id uuid not null
);

create index summary_changes_app on summary_changes (app_id);

create function note_summary_rows() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    insert into summary_changes (app_id, instance_id)
    select app_id, instance_id from gone_rows;
  else
    insert into summary_changes (app_id, instance_id)
    select app_id, instance_id from new_rows;
  end if;
  return null;
end $$;

create function note_summary_row() returns trigger language plpgsql as $$
begin
  insert into summary_changes (app_id, instance_id) values (new.app_id, new.instance_id);
  return null;
end $$;

create trigger instances_summary_inserted after insert on instances
  referencing new table as new_rows
  for each statement execute function note_summary_rows();

create trigger instances_summary_deleted after delete on instances
  referencing old table as gone_rows
  for each statement execute function note_summary_rows();

-- Evaluated per row without calling the function unless something the summary reads changed
-- other than metrics and a later last_seen.
create trigger instances_summary_changed after update on instances
  for each row when (old.status is distinct from new.status
    or old.app_version is distinct from new.app_version
    or old.environment is distinct from new.environment
    or old.deployment_mode is distinct from new.deployment_mode
    or old.os_arch is distinct from new.os_arch
    or new.last_seen < old.last_seen)
  execute function note_summary_row();

-- When the summary was last computed from every instance (at the first round, after a change of
-- the excluded environments or the window, and once a day).
alter table app_summaries add column rebuilt_at timestamptz;
