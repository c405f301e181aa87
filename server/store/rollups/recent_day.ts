/**
 * One application's rollup of today or yesterday, composed from the day's
 * counts (`day_counts.ts`) instead of read from every row of the day: the
 * counts are brought up to date from the instance-days changed since the day
 * was last counted, or counted from every row of the day when they hold for
 * another window or other excluded environments, when the clock went back,
 * when the caller says the history changed, and at the first count of a day.
 * The figures are those {@linkcode rollUpDay} computes from the whole day.
 */

import { type Database, sql } from "../drivers/database.ts";
import { floatOf } from "./float_values.ts";
import { leavingBefore, recountDayAll, recountDayChanged } from "./day_counts.ts";
import { type RollupDay, SHARES_KEPT_PER_FIELD, tryRollupLock } from "./rollup_day.ts";
import { inScope, ROLLUP_SCOPES, type RollupScope } from "./rollup_scope.ts";

/** What one recent day's rollup is computed with. */
export interface RecentDayOptions extends RollupDay {
  readonly windowDays: number;
  readonly now: Date;
  /**
   * False when the day's history may have changed other than by snapshots
   * (a mark, an erasure, an import) or a day before it is computed again:
   * the day is then counted from every row.
   */
  readonly fromChanges: boolean;
}

/**
 * Computes one application's rollup of `day` (today or yesterday as of
 * `now`, with a window of 2 days or more) in both scopes, with its excluded
 * environments as they are now, from the day's counts, and replaces what was
 * stored for that day, in one transaction. Answers false, computing nothing,
 * while another server is computing a rollup.
 */
export async function rollUpRecentDay(db: Database, options: RecentDayOptions): Promise<boolean> {
  const { appId, day, windowDays, now } = options;
  // The count of instances gone is taken from the days that no longer change: those before
  // yesterday for today, those before the day for yesterday.
  const through = addDays(day, day === utcDay(now) ? -2 : -1);
  return await db.transaction(async (tx) => {
    if (!await tryRollupLock(tx)) return false;
    const [app] = await tx.query<{ excluded: string[] }>(sql`
      select excluded_environments as excluded from applications where id = ${appId}`);
    const excluded = app?.excluded ?? [];
    const [state] = await tx.query<
      { windowDays: number; excluded: string[]; countedAt: Date; through: string }
    >(sql`
      select window_days as "windowDays", excluded_environments as excluded,
        counted_at as "countedAt", base_through::text as through
      from day_count_states where app_id = ${appId} and day = ${day}::date`);
    const counting = { appId, day, excluded };
    if (
      options.fromChanges && state !== undefined && state.windowDays === windowDays &&
      sameList(state.excluded, excluded) && state.through === through &&
      state.countedAt.getTime() <= now.getTime()
    ) {
      await recountDayChanged(tx, { ...counting, last: state.countedAt });
      await tx.query(sql`
        update day_count_states set counted_at = ${now.toISOString()}::timestamptz
        where app_id = ${appId} and day = ${day}::date`);
    } else {
      // Only today's and yesterday's counts are kept: a day counted from every row (once a day
      // at least) takes those of the application's older days away, by its key.
      await forgetOlderCounts(tx, { appId, before: addDays(utcDay(now), -1) });
      await recountDayAll(tx, counting);
      const leaving = await leavingBefore(tx, { ...counting, windowDays, through });
      await tx.query(sql`
        insert into day_count_states as s (app_id, day, window_days, excluded_environments,
          counted_at, base_through, all_leaving, counted_leaving)
        values (${appId}, ${day}::date, ${windowDays}, ${[...excluded]}::text[],
          ${now.toISOString()}::timestamptz, ${through}::date, ${leaving.all},
          ${leaving.counted})
        on conflict (app_id, day) do update set window_days = excluded.window_days,
          excluded_environments = excluded.excluded_environments,
          counted_at = excluded.counted_at, base_through = excluded.base_through,
          all_leaving = excluded.all_leaving, counted_leaving = excluded.counted_leaving`);
    }
    await tx.query(sql`delete from app_days where app_id = ${appId} and day = ${day}::date`);
    await tx.query(sql`delete from app_day_shares where app_id = ${appId} and day = ${day}::date`);
    await tx.query(sql`delete from app_day_metrics where app_id = ${appId} and day = ${day}::date`);
    for (const scope of ROLLUP_SCOPES) {
      await writeScopeFromCounts(tx, { ...options, scope, excluded });
    }
    return true;
  });
}

async function forgetOlderCounts(
  tx: Database,
  options: { appId: number; before: string },
): Promise<void> {
  const { appId } = options;
  const before = sql`${options.before}::date`;
  await tx.query(sql`delete from day_members where app_id = ${appId} and day < ${before}`);
  await tx.query(sql`delete from day_counts where app_id = ${appId} and day < ${before}`);
  await tx.query(sql`delete from day_metric_values where app_id = ${appId} and day < ${before}`);
  await tx.query(sql`delete from day_count_states where app_id = ${appId} and day < ${before}`);
}

/** Inserts one scope's rows of the day from its counts (the day's rows already deleted). */
async function writeScopeFromCounts(
  tx: Database,
  options: RecentDayOptions & { scope: RollupScope; excluded: readonly string[] },
): Promise<void> {
  const { appId, windowDays, scope, excluded } = options;
  const day = sql`${options.day}::date`;
  const n = scope === "all" ? sql`all_instances` : sql`counted_instances`;
  const total = scope === "all" ? sql`all_sum` : sql`counted_sum`;
  const leavingBase = scope === "all" ? sql`all_leaving` : sql`counted_leaving`;
  const value = sql`case when key = '' then null else substr(key, 2) end`;
  // Active instances follow from the day before, as rollUpDay has them.
  const [before] = await tx.query<{ active: number }>(sql`
    select active from app_days
    where app_id = ${appId} and scope = ${scope} and day = ${day} - 1
      and window_days = ${windowDays}
      and (${scope} = 'all' or excluded_environments = ${[...excluded]}::text[])`);
  const active = before === undefined
    ? sql`(select count(distinct instance_id) from instance_days w
        where w.app_id = ${appId} and w.day between ${day} - ${windowDays - 1}::int and ${day}
          and ${inScope(scope, { environment: sql`w.environment`, excluded })})`
    : sql`${before.active}::int + new + returned - gone`;
  await tx.query(sql`
    with counts as (
      select field, key, ${n} as instances, ${total} as total
      from day_counts where app_id = ${appId} and day = ${day}
    ),
    figures as (
      select
        coalesce((select instances from counts where field = 'reporting'), 0) as reporting,
        coalesce((select total from counts where field = 'reporting'), 0)::bigint as snapshots,
        coalesce((select instances from counts where field = 'previous' and key = ''), 0)
          as new,
        coalesce((select sum(instances) from counts where field = 'previous' and key <> ''
          and substr(key, 2)::date < ${day} - ${windowDays}::int), 0)::int as returned,
        (select s.${leavingBase} - coalesce((
          select sum(c.${n}) from day_counts c
          where c.app_id = ${appId} and c.day > s.base_through and c.day <= ${day}
            and c.field = 'previous' and c.key = '=' || (${day} - ${windowDays}::int)::text
        ), 0) from day_count_states s where s.app_id = ${appId} and s.day = ${day})::int as gone
    )
    insert into app_days (app_id, scope, day, window_days, excluded_environments, reporting,
      active, new, returned, gone, snapshots, computed_at)
    select ${appId}, ${scope}, ${day}, ${windowDays}, ${[...excluded]}::text[], reporting,
      ${active}, new, returned, gone, snapshots, ${options.now.toISOString()}::timestamptz
    from figures`);
  await tx.query(sql`
    insert into app_day_shares (app_id, scope, day, field, value, instances)
    select ${appId}, ${scope}, ${day}, field, value, instances
    from (
      select substr(field, 7) as field, ${value} as value, ${n} as instances,
        row_number() over (partition by field order by ${n} desc, ${value} collate "C")
          as rank
      from day_counts
      where app_id = ${appId} and day = ${day} and left(field, 6) = 'share:' and ${n} > 0
    ) ranked
    where rank <= ${SHARES_KEPT_PER_FIELD}`);
  await tx.query(sql`
    with sent as (
      select key as metric, ${n} as instances
      from day_counts
      where app_id = ${appId} and day = ${day} and field = 'metric' and ${n} > 0
    ),
    numbers as (
      select key as metric, ${n} as numbers, ${total} as total
      from day_counts
      where app_id = ${appId} and day = ${day} and field = 'number' and ${n} > 0
    ),
    ranked as (
      select metric, ${floatOf(sql`value`)} as f, ${n} as k,
        sum(${n}) over (partition by metric order by value
          rows between unbounded preceding and current row) as upto
      from day_metric_values
      where app_id = ${appId} and day = ${day} and ${n} > 0
    ),
    -- percentile_cont as PostgreSQL computes it: the rows floor and ceil of p * (n - 1),
    -- counting from 0, and the first plus the fraction of the difference
    positions as (
      select b.metric, q.i, q.p * (b.numbers - 1)::float8 as pos
      from numbers b
      cross join (values (1, 0.5::float8), (2, 0.9::float8), (3, 0.99::float8)) q(i, p)
    ),
    -- the value at row r is the least whose running count passes r
    ends as (
      select po.metric, po.i, po.pos, min(r.f) filter (where r.upto > floor(po.pos)) as lo,
        min(r.f) filter (where r.upto > ceil(po.pos)) as hi
      from positions po
      join ranked r on r.metric = po.metric
      group by po.metric, po.i, po.pos
    ),
    -- as percentile_cont computes it in floats, without the errors PostgreSQL's float
    -- arithmetic raises where C's does not (values near a float's limits, which any instance
    -- may send): a difference beyond the largest float is infinity there, and a product too
    -- small for a float is 0 (a case's branches are taken in order)
    picked as (
      select metric, i,
        case when ceil(pos) = floor(pos) or hi = lo then lo
          when hi / 2 - lo / 2 > 8.988465674311579e307 then 'Infinity'::float8
          when hi / 2 - lo / 2 < 5e-301
            and (pos - floor(pos))::numeric * (hi::numeric - lo::numeric) < 1e-323 then lo
          else lo + (pos - floor(pos)) * (hi - lo)
        end as q
      from ends
    ),
    extremes as (
      select metric, min(f) as min, max(f) as max from ranked group by metric
    )
    insert into app_day_metrics (app_id, scope, day, metric, instances, numbers, sum, min, max,
      p50, p90, p99)
    select ${appId}, ${scope}, ${day}, s.metric, s.instances, coalesce(b.numbers, 0),
      case when b.numbers > 0 then ${floatOf(sql`b.total`)} end, e.min, e.max,
      (select q from picked p where p.metric = s.metric and p.i = 1),
      (select q from picked p where p.metric = s.metric and p.i = 2),
      (select q from picked p where p.metric = s.metric and p.i = 3)
    from sent s
    left join numbers b on b.metric = s.metric
    left join extremes e on e.metric = s.metric`);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

function addDays(day: string, offset: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + offset * 86_400_000).toISOString().slice(
    0,
    10,
  );
}
