/**
 * The counts a recent day's rollup (today's, yesterday's) is composed from,
 * kept from the instance-days that changed (migration 0018): each
 * instance-day's share as last counted (`day_members`), what those shares
 * add up to per figure in both scopes (`day_counts`) and the numeric metric
 * values (`day_metric_values`, for the extremes and percentiles). A round
 * counts again only the instance-days of instances seen since the day was
 * last counted (a range of the last_seen index, less a lag for a late commit
 * or a clock behind) whose row changed since; counting one again takes its
 * old share away and adds its new one.
 */

import { type Database, sql, type SqlQuery } from "../drivers/database.ts";
import { inScope } from "./rollup_scope.ts";

/**
 * How long after its arrival a snapshot may still be committed, and how far
 * two servers' clocks may differ: a round counts again the instance-days of
 * instances seen since the day was last counted, less this.
 */
export const DAY_SEEN_LAG_MS = 300_000;

/** One application's day whose counts are brought up to date. */
export interface DayCountingOptions {
  readonly appId: number;
  /** A UTC day, YYYY-MM-DD. */
  readonly day: string;
  /** The application's excluded environments as they are now. */
  readonly excluded: readonly string[];
}

/**
 * Counts every instance-day of the day again from nothing, in the caller's
 * transaction `tx` (holding the rollup lock).
 */
export async function recountDayAll(tx: Database, options: DayCountingOptions): Promise<void> {
  const { appId } = options;
  const day = sql`${options.day}::date`;
  await tx.query(sql`delete from day_members where app_id = ${appId} and day = ${day}`);
  await tx.query(sql`delete from day_counts where app_id = ${appId} and day = ${day}`);
  await tx.query(sql`delete from day_metric_values where app_id = ${appId} and day = ${day}`);
  await tx.query(countDayAgain({ ...options, touched: "every" }));
}

/**
 * Counts again the instance-days of the day whose instance was seen since
 * `last` (less {@linkcode DAY_SEEN_LAG_MS}) and whose row changed since it
 * was counted, in the caller's transaction `tx` (holding the rollup lock).
 * Returns how many it counted again.
 */
export async function recountDayChanged(
  tx: Database,
  options: DayCountingOptions & { last: Date },
): Promise<number> {
  const { appId } = options;
  const day = sql`${options.day}::date`;
  const seenSince = new Date(options.last.getTime() - DAY_SEEN_LAG_MS).toISOString();
  const [row] = await tx.query<{ touched: number }>(countDayAgain({
    ...options,
    // Each candidate's member is looked up by its key (a subquery per row): a join planned on
    // the members' statistics, which a new day has none of, can read every member per row.
    touched: sql`
      select d.instance_id from instances i
      join instance_days d on d.app_id = ${appId} and d.day = ${day}
        and d.instance_id = i.instance_id
      where i.app_id = ${appId} and i.last_seen >= ${seenSince}::timestamptz
        and not coalesce((
          select m.snapshots = d.snapshots and m.last_at = d.last_at from day_members m
          where m.app_id = ${appId} and m.day = ${day} and m.instance_id = d.instance_id
        ), false)`,
  }));
  await tx.query(sql`
    delete from day_counts
    where app_id = ${appId} and day = ${day} and all_instances = 0 and counted_instances = 0`);
  await tx.query(sql`
    delete from day_metric_values
    where app_id = ${appId} and day = ${day} and all_instances = 0 and counted_instances = 0`);
  return row?.touched ?? 0;
}

/**
 * How many instances of the day `windowDays` before `day` (in each scope)
 * were not seen in that scope from the day after it through `through`: the
 * instances gone on `day`, less those seen after `through`.
 */
export async function leavingBefore(
  tx: Database,
  options: DayCountingOptions & { windowDays: number; through: string },
): Promise<{ all: number; counted: number }> {
  const { appId, excluded, windowDays } = options;
  const left = sql`${options.day}::date - ${windowDays}::int`;
  const through = sql`${options.through}::date`;
  const leaving = (scope: "all" | "counted") => {
    const kept = (environment: SqlQuery) => inScope(scope, { environment, excluded });
    return sql`(
      select count(*) from instance_days leaving
      where leaving.app_id = ${appId} and leaving.day = ${left}
        and ${kept(sql`leaving.environment`)}
        and not exists (
          select 1 from instance_days later
          where later.instance_id = leaving.instance_id
            and later.day > ${left} and later.day <= ${through}
            and ${kept(sql`later.environment`)})
    )::int`;
  };
  const [row] = await tx.query<{ all: number; counted: number }>(sql`
    select ${leaving("all")} as all, ${leaving("counted")} as counted`);
  return { all: row?.all ?? 0, counted: row?.counted ?? 0 };
}

/**
 * The statement that counts the `touched` instance-days again (or every
 * instance-day of the day, whose shares were deleted): takes each one's old
 * share away and adds its new one, in one snapshot of the database. An
 * instance-day's previous day is looked up only when it is first counted.
 */
function countDayAgain(options: DayCountingOptions & { touched: SqlQuery | "every" }): SqlQuery {
  const { appId } = options;
  const day = sql`${options.day}::date`;
  const every = options.touched === "every";
  const counted = (environment: SqlQuery) =>
    inScope("counted", { environment, excluded: options.excluded });
  const wanted = every ? sql`true` : sql`d.instance_id in (select instance_id from touched)`;
  return sql`
    with touched as (${every ? sql`select null::uuid as instance_id` : options.touched}),
    fresh as (
      select d.instance_id, ${counted(sql`d.environment`)} as counted, d.app_version,
        d.environment, d.deployment_mode, d.os_arch, d.metrics, d.snapshots, d.last_at,
        case when m.instance_id is not null then m.previous_all else (
          select max(p.day) from instance_days p
          where p.instance_id = d.instance_id and p.day < ${day}
        ) end as previous_all,
        case when m.instance_id is not null then m.previous_counted else (
          select max(p.day) from instance_days p
          where p.instance_id = d.instance_id and p.day < ${day}
            and ${counted(sql`p.environment`)}
        ) end as previous_counted
      from instance_days d
      left join lateral (
        select m.instance_id, m.previous_all, m.previous_counted from day_members m
        where m.app_id = ${appId} and m.day = ${day} and m.instance_id = d.instance_id
        offset 0
      ) m on true
      where d.app_id = ${appId} and d.day = ${day} and ${wanted}
    ),
    shares as (
      select sign, case when counted then sign else 0 end as counted_sign, app_version,
        environment, deployment_mode, os_arch, metrics, snapshots, previous_all,
        previous_counted
      from (
        select 1 as sign, counted, app_version, environment, deployment_mode, os_arch, metrics,
          snapshots, previous_all, previous_counted
        from fresh
        union all
        select -1, m.counted, m.app_version, m.environment, m.deployment_mode, m.os_arch,
          m.metrics, m.snapshots, m.previous_all, m.previous_counted
        from touched t
        cross join lateral (
          select * from day_members m
          where ${every ? sql`false` : sql`true`} and m.app_id = ${appId} and m.day = ${day}
            and m.instance_id = t.instance_id
          offset 0
        ) m
      ) signed
    ),
    figures as (
      select f.field, f.key, f.number, f.in_all, f.in_counted
      from shares s
      cross join lateral (values
        ('reporting', '', s.snapshots::numeric, s.sign, s.counted_sign),
        ('previous', coalesce('=' || s.previous_all::text, ''), null, s.sign, 0),
        ('previous', coalesce('=' || s.previous_counted::text, ''), null, 0, s.counted_sign),
        ('share:version', coalesce('=' || s.app_version, ''), null, s.sign, s.counted_sign),
        ('share:os_arch', coalesce('=' || s.os_arch, ''), null, s.sign, s.counted_sign),
        ('share:deployment_mode', coalesce('=' || s.deployment_mode, ''), null, s.sign,
          s.counted_sign),
        ('share:environment', coalesce('=' || s.environment, ''), null, s.sign,
          s.counted_sign)
      ) f(field, key, number, in_all, in_counted)
      union all
      select f.field, f.key, f.number, s.sign, s.counted_sign
      from shares s
      cross join lateral jsonb_each(s.metrics) m
      cross join lateral (select jsonb_typeof(m.value) as type) t
      cross join lateral (values
        ('metric', m.key, null::numeric, true),
        ('number', m.key, case when t.type = 'number' then (m.value #>> '{}')::numeric end,
          t.type = 'number'),
        ('share:metric:' || m.key, '=' || (m.value #>> '{}'), null,
          t.type in ('string', 'boolean'))
      ) f(field, key, number, applies)
      where f.applies
    ),
    count_changes as (
      select field, key, sum(in_all)::int as all_instances,
        sum(in_counted)::int as counted_instances,
        coalesce(sum(in_all * number), 0) as all_sum,
        coalesce(sum(in_counted * number), 0) as counted_sum
      from figures
      group by field, key
    ),
    counts_changed as (
      insert into day_counts as c (app_id, day, field, key, all_instances, counted_instances,
        all_sum, counted_sum)
      select ${appId}, ${day}, field, key, all_instances, counted_instances, all_sum,
        counted_sum
      from count_changes
      where all_instances <> 0 or counted_instances <> 0 or all_sum <> 0 or counted_sum <> 0
      on conflict (app_id, day, field, key) do update set
        all_instances = c.all_instances + excluded.all_instances,
        counted_instances = c.counted_instances + excluded.counted_instances,
        all_sum = c.all_sum + excluded.all_sum,
        counted_sum = c.counted_sum + excluded.counted_sum
    ),
    value_changes as (
      select key as metric, number as value, sum(in_all)::int as all_instances,
        sum(in_counted)::int as counted_instances
      from figures
      where field = 'number'
      group by key, number
    ),
    values_changed as (
      insert into day_metric_values as v (app_id, day, metric, value, all_instances,
        counted_instances)
      select ${appId}, ${day}, metric, value, all_instances, counted_instances
      from value_changes
      where all_instances <> 0 or counted_instances <> 0
      on conflict (app_id, day, metric, value) do update set
        all_instances = v.all_instances + excluded.all_instances,
        counted_instances = v.counted_instances + excluded.counted_instances
    ),
    members_changed as (
      insert into day_members as m (app_id, day, instance_id, counted, app_version, environment,
        deployment_mode, os_arch, metrics, snapshots, last_at, previous_all, previous_counted)
      select ${appId}, ${day}, instance_id, counted, app_version, environment, deployment_mode,
        os_arch, metrics, snapshots, last_at, previous_all, previous_counted
      from fresh
      on conflict (app_id, day, instance_id) do update set
        counted = excluded.counted, app_version = excluded.app_version,
        environment = excluded.environment, deployment_mode = excluded.deployment_mode,
        os_arch = excluded.os_arch, metrics = excluded.metrics, snapshots = excluded.snapshots,
        last_at = excluded.last_at
    )
    select (select count(*) from fresh)::int as touched`;
}
