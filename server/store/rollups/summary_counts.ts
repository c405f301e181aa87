/**
 * The counts an application's summary is composed from (`app_summaries.ts`),
 * kept from the instances that changed: each instance's share as last
 * counted (`summary_members`), what those shares add up to per figure
 * (`summary_counts`) and the numeric metric values (`summary_metric_values`,
 * whose ends are the extremes). A round counts again only the instances
 * noted as changed (registered, deleted, status or metadata changed, see
 * migration 0016), those seen since the last round (snapshots, activations:
 * a range of the last_seen index) and those whose last sign of life left the
 * active window since; counting one again takes its old share away and adds
 * its new one, so an instance counted twice is counted right.
 */

import { type Database, sql, type SqlQuery } from "../drivers/database.ts";

/**
 * How long after its arrival a snapshot may still be committed, and how far
 * two servers' clocks may differ: a round counts again the instances seen
 * since the last round, less this.
 */
export const SEEN_LAG_MS = 300_000;

/** What the counts of one application are brought up to date for. */
export interface CountingOptions {
  readonly appId: number;
  readonly excluded: readonly string[];
  /** The start of the active window as of now. */
  readonly since: Date;
}

/**
 * Counts every instance of the application again from nothing, in one
 * transaction `tx` (the caller's, holding the application's lock).
 */
export async function recountAll(tx: Database, options: CountingOptions): Promise<void> {
  const { appId } = options;
  // The notes this statement sees are taken with it; those committed later stay for the next.
  await tx.query(sql`delete from summary_members where app_id = ${appId}`);
  await tx.query(sql`delete from summary_counts where app_id = ${appId}`);
  await tx.query(sql`delete from summary_metric_values where app_id = ${appId}`);
  await tx.query(countAgain({ ...options, touched: "every" }));
}

/**
 * Counts again the instances of the application changed since the round
 * that ended at `last` (whose active window started at `lastSince`), in one
 * transaction `tx` (the caller's, holding the application's lock). Returns
 * how many instances it counted again.
 */
export async function recountChanged(
  tx: Database,
  options: CountingOptions & { last: Date; lastSince: Date },
): Promise<number> {
  const { appId } = options;
  const seenSince = new Date(options.last.getTime() - SEEN_LAG_MS).toISOString();
  const leftSince = new Date(options.lastSince.getTime() - SEEN_LAG_MS).toISOString();
  const since = options.since.toISOString();
  // Seen since the last round (less the lag), or left the window since: counted again unless
  // counted already as they are (the lag has a round meet most of them a second time).
  const [row] = await tx.query<{ touched: number }>(countAgain({
    ...options,
    touched: sql`
      select instance_id from noted
      union select i.instance_id from instances i
      left join summary_members m on m.instance_id = i.instance_id
      where i.app_id = ${appId}
        and (i.last_seen >= ${seenSince}::timestamptz
          or (i.last_seen >= ${leftSince}::timestamptz and i.last_seen < ${since}::timestamptz))
        and (m.instance_id is null or m.last_seen <> i.last_seen
          or m.last_snapshot_at is distinct from i.last_snapshot_at
          or m.active <> (i.status = 'active' and i.last_seen >= ${since}::timestamptz))`,
  }));
  await tx.query(sql`delete from summary_counts where app_id = ${appId} and all_instances = 0`);
  await tx.query(
    sql`delete from summary_metric_values where app_id = ${appId} and all_instances = 0`,
  );
  return row?.touched ?? 0;
}

/**
 * The statement that counts the `touched` instances again (or every instance
 * of the application, whose shares were deleted): takes the notes of changes
 * it sees (those committed later stay for the next round), takes away each
 * touched instance's old share and adds its new one, in one snapshot of the
 * database.
 */
function countAgain(options: CountingOptions & { touched: SqlQuery | "every" }): SqlQuery {
  const { appId, excluded, since } = options;
  const every = options.touched === "every";
  const touched = options.touched === "every"
    ? sql`select instance_id from instances where app_id = ${appId}`
    : options.touched;
  // Every instance is read by the application's rows rather than one at a time by its id.
  const wanted = every ? sql`true` : sql`i.instance_id in (select instance_id from touched)`;
  return sql`
    with noted as (
      delete from summary_changes where app_id = ${appId} returning instance_id
    ),
    touched as (${touched}),
    fresh as (
      select i.instance_id, i.status, a.active,
        not coalesce(lower(btrim(i.environment)) = any(${[...excluded]}::text[]), false)
          as counted,
        i.app_version, i.environment, i.deployment_mode, i.os_arch, i.last_seen,
        i.last_snapshot_at,
        case when a.active then (
          select coalesce(jsonb_object_agg(m.key, m.value), '{}'::jsonb)
          from jsonb_each(i.metrics) m where jsonb_typeof(m.value) = 'number'
        ) else '{}'::jsonb end as metrics
      from instances i
      cross join lateral (select i.status = 'active'
        and i.last_seen >= ${since.toISOString()}::timestamptz as active) a
      where i.app_id = ${appId} and ${wanted}
    ),
    shares as (
      select 1 as sign, instance_id, status, active, counted, app_version, environment,
        deployment_mode, os_arch, metrics
      from fresh
      union all
      select -1, instance_id, status, active, counted, app_version, environment,
        deployment_mode, os_arch, metrics
      from summary_members
      where ${every ? sql`false` : sql`true`} and app_id = ${appId}
        and instance_id in (select instance_id from touched)
    ),
    figures as (
      select s.sign, s.counted, f.field, f.value, f.number
      from shares s
      cross join lateral (values
        ('status', s.status, null::numeric, true),
        ('active', null, null, s.active),
        ('app_version', s.app_version, null, s.active),
        ('os_arch', s.os_arch, null, s.active),
        ('environment', s.environment, null, s.active),
        ('deployment_mode', s.deployment_mode, null, s.active),
        ('any_version', s.app_version, null, true),
        ('any_environment', s.environment, null, s.environment is not null)
      ) f(field, value, number, applies)
      where f.applies
      union all
      select s.sign, s.counted, 'metric', m.key, (m.value #>> '{}')::numeric
      from shares s
      cross join lateral jsonb_each(s.metrics) m
    ),
    count_changes as (
      select field, case when value is null then '' else '=' || value end as key,
        sum(sign)::int as all_instances,
        coalesce(sum(sign) filter (where counted), 0)::int as counted_instances,
        coalesce(sum(sign * number), 0) as all_sum,
        coalesce(sum(sign * number) filter (where counted), 0) as counted_sum
      from figures
      group by field, value
    ),
    counts_changed as (
      insert into summary_counts as c (app_id, field, key, all_instances, counted_instances,
        all_sum, counted_sum)
      select ${appId}, field, key, all_instances, counted_instances, all_sum, counted_sum
      from count_changes
      where all_instances <> 0 or counted_instances <> 0 or all_sum <> 0 or counted_sum <> 0
      on conflict (app_id, field, key) do update set
        all_instances = c.all_instances + excluded.all_instances,
        counted_instances = c.counted_instances + excluded.counted_instances,
        all_sum = c.all_sum + excluded.all_sum,
        counted_sum = c.counted_sum + excluded.counted_sum
    ),
    value_changes as (
      select value as metric, number as value, sum(sign)::int as all_instances,
        coalesce(sum(sign) filter (where counted), 0)::int as counted_instances
      from figures
      where field = 'metric'
      group by value, number
    ),
    values_changed as (
      insert into summary_metric_values as v (app_id, metric, value, all_instances,
        counted_instances)
      select ${appId}, metric, value, all_instances, counted_instances
      from value_changes
      where all_instances <> 0 or counted_instances <> 0
      on conflict (app_id, metric, value) do update set
        all_instances = v.all_instances + excluded.all_instances,
        counted_instances = v.counted_instances + excluded.counted_instances
    ),
    members_gone as (
      delete from summary_members
      where ${every ? sql`false` : sql`true`} and app_id = ${appId}
        and instance_id in (select instance_id from touched)
        and instance_id not in (select instance_id from fresh)
    ),
    members_changed as (
      insert into summary_members as m (instance_id, app_id, status, active, counted,
        app_version, environment, deployment_mode, os_arch, metrics, last_seen, last_snapshot_at)
      select instance_id, ${appId}, status, active, counted, app_version, environment,
        deployment_mode, os_arch, metrics, last_seen, last_snapshot_at
      from fresh
      on conflict (instance_id) do update set
        status = excluded.status, active = excluded.active, counted = excluded.counted,
        app_version = excluded.app_version, environment = excluded.environment,
        deployment_mode = excluded.deployment_mode, os_arch = excluded.os_arch,
        metrics = excluded.metrics, last_seen = excluded.last_seen,
        last_snapshot_at = excluded.last_snapshot_at
    )
    select (select count(*) from ${every ? sql`fresh` : sql`touched`})::int as touched`;
}
