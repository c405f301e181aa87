/**
 * One application's rollup of one day, in both scopes (`rollup_scope.ts`):
 * the day's counts (reporting, active, new, returned, gone), the shares of
 * versions, platforms and string metrics, and each metric's sum, extremes and
 * percentiles, computed from `instance_days`.
 */

import { type Database, sql } from "../drivers/database.ts";
import { floatOf } from "./float_values.ts";
import { inScope, ROLLUP_SCOPES, type RollupScope } from "./rollup_scope.ts";

/** Advisory lock key held while one server computes rollups ("shm" + "roll"). */
const ROLLUP_LOCK_KEY = 73_687_752_110;

/** How many values of one field a day keeps by name; the rest count only in the total. */
export const SHARES_KEPT_PER_FIELD = 25;

/** The fields of `app_day_shares` that describe the instance rather than a metric. */
export const SHARE_FIELDS = ["version", "os_arch", "deployment_mode", "environment"] as const;

/** One application's day to compute. */
export interface RollupDay {
  readonly appId: number;
  /** A UTC day, YYYY-MM-DD. */
  readonly day: string;
}

/**
 * Computes one application's rollup of one day from its history, in every
 * scope with the application's excluded environments as they are now, and
 * replaces what was stored for that day, in one transaction. Answers false,
 * computing nothing, while another server is computing a rollup.
 */
export async function rollUpDay(
  db: Database,
  options: RollupDay & { windowDays: number; now: Date },
): Promise<boolean> {
  const { appId } = options;
  const day = sql`${options.day}::date`;
  return await db.transaction(async (tx) => {
    if (!await tryRollupLock(tx)) return false;
    const [app] = await tx.query<{ excluded: string[] }>(sql`
      select excluded_environments as excluded from applications where id = ${appId}`);
    await tx.query(sql`delete from app_days where app_id = ${appId} and day = ${day}`);
    await tx.query(sql`delete from app_day_shares where app_id = ${appId} and day = ${day}`);
    await tx.query(sql`delete from app_day_metrics where app_id = ${appId} and day = ${day}`);
    for (const scope of ROLLUP_SCOPES) {
      await rollUpScope(tx, { ...options, scope, excluded: app?.excluded ?? [] });
    }
    return true;
  });
}

/**
 * Takes the lock one server holds while it computes rollups, for the rest of
 * the transaction `tx`; answers false when another server holds it.
 */
export async function tryRollupLock(tx: Database): Promise<boolean> {
  const [lock] = await tx.query<{ locked: boolean }>(
    sql`select pg_try_advisory_xact_lock(${ROLLUP_LOCK_KEY}::bigint) as locked`,
  );
  return lock?.locked ?? false;
}

/** Inserts the rows of one scope of one day (the day's rows already deleted, in a transaction). */
async function rollUpScope(
  tx: Database,
  options: RollupDay & {
    windowDays: number;
    now: Date;
    scope: RollupScope;
    excluded: readonly string[];
  },
): Promise<void> {
  const { appId, windowDays, scope, excluded } = options;
  const day = sql`${options.day}::date`;
  const kept = (environment: ReturnType<typeof sql>) => inScope(scope, { environment, excluded });
  // Active instances follow from the day before: those that entered, minus those that left.
  const [before] = await tx.query<{ active: number }>(sql`
    select active from app_days
    where app_id = ${appId} and scope = ${scope} and day = ${day} - 1
      and window_days = ${windowDays}
      and (${scope} = 'all' or excluded_environments = ${[...excluded]}::text[])`);
  const active = before === undefined
    ? sql`(select count(distinct instance_id) from instance_days w
        where w.app_id = ${appId} and w.day between ${day} - ${windowDays - 1}::int and ${day}
          and ${kept(sql`w.environment`)})`
    : sql`${before.active}::int + new + returned - gone`;
  await tx.query(sql`
    with day_rows as materialized (
      select d.snapshots, (
        select max(p.day) from instance_days p
        where p.instance_id = d.instance_id and p.day < ${day} and ${kept(sql`p.environment`)}
      ) as previous_day
      from instance_days d
      where d.app_id = ${appId} and d.day = ${day} and ${kept(sql`d.environment`)}
    ),
    counts as (
      select count(*)::int as reporting,
        count(*) filter (where previous_day is null)::int as new,
        count(*) filter (where previous_day < ${day} - ${windowDays}::int)::int as returned,
        coalesce(sum(snapshots), 0) as snapshots,
        (
          select count(*) from instance_days leaving
          where leaving.app_id = ${appId} and leaving.day = ${day} - ${windowDays}::int
            and ${kept(sql`leaving.environment`)}
            and not exists (
              select 1 from instance_days later
              where later.instance_id = leaving.instance_id
                and later.day > ${day} - ${windowDays}::int and later.day <= ${day}
                and ${kept(sql`later.environment`)})
        )::int as gone
      from day_rows
    )
    insert into app_days (app_id, scope, day, window_days, excluded_environments, reporting,
      active, new, returned, gone, snapshots, computed_at)
    select ${appId}, ${scope}, ${day}, ${windowDays}, ${[...excluded]}::text[], reporting,
      ${active}, new, returned, gone, snapshots, ${options.now.toISOString()}::timestamptz
    from counts`);
  await tx.query(sql`
    insert into app_day_shares (app_id, scope, day, field, value, instances)
    select ${appId}, ${scope}, ${day}, field, value, instances
    from (
      select field, value, instances,
        row_number() over (partition by field order by instances desc, value collate "C")
          as rank
      from (
        select f.field, f.value, count(*)::int as instances
        from instance_days d
        cross join lateral (values ('version', d.app_version), ('os_arch', d.os_arch),
          ('deployment_mode', d.deployment_mode), ('environment', d.environment)) f(field, value)
        where d.app_id = ${appId} and d.day = ${day} and ${kept(sql`d.environment`)}
        group by f.field, f.value
        union all
        select 'metric:' || m.key, m.value #>> '{}', count(*)::int
        from instance_days d
        cross join lateral jsonb_each(d.metrics) m
        where d.app_id = ${appId} and d.day = ${day} and ${kept(sql`d.environment`)}
          and jsonb_typeof(m.value) in ('string', 'boolean')
        group by m.key, m.value #>> '{}'
      ) counted
    ) ranked
    where rank <= ${SHARES_KEPT_PER_FIELD}`);
  await tx.query(sql`
    with values_of_day as (
      select m.key, v.n,
        -- numbers beyond a float's range (possible in imported history) are clamped
        ${floatOf(sql`v.n`)} as f
      from instance_days d
      cross join lateral jsonb_each(d.metrics) m
      cross join lateral (select case when jsonb_typeof(m.value) = 'number'
        then (m.value #>> '{}')::numeric end as n) v
      where d.app_id = ${appId} and d.day = ${day} and ${kept(sql`d.environment`)}
    ),
    percentiles as (
      select key, percentile_cont(array[0.5, 0.9, 0.99]::float8[])
        within group (order by f) as q
      from values_of_day where f is not null
      group by key
    )
    insert into app_day_metrics (app_id, scope, day, metric, instances, numbers, sum, min, max,
      p50, p90, p99)
    select ${appId}, ${scope}, ${day}, v.key, count(*)::int, count(v.n)::int,
      -- a numeric sum cannot overflow; it is clamped like the values
      case when count(v.n) > 0 then ${floatOf(sql`sum(v.n)`)} end,
      min(v.f), max(v.f), p.q[1], p.q[2], p.q[3]
    from values_of_day v
    left join percentiles p on p.key = v.key
    group by v.key, p.q`);
}
