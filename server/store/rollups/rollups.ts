/**
 * Daily per-application rollups: each day's counts (reporting, active, new,
 * returned, gone), the shares of versions, platforms and string metrics, and
 * each metric's sum, extremes and percentiles, computed from `instance_days`.
 * The same functions fill them after a demo seed or an import and keep them
 * current in the server's upkeep (`server/upkeep/`).
 */

import { type Database, sql } from "../drivers/database.ts";

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

/** What one round of {@linkcode refreshRollups} did. */
export interface RollupReport {
  /** False when another server held the lock or the round was stopped: it did not finish. */
  readonly ran: boolean;
  readonly daysComputed: number;
}

/**
 * Brings every application's rollups up to date as of `now`: computes the
 * days that have none yet (from the app's first day of history to today),
 * those computed with another active window, those marked stale together with
 * every day after them, and always today and yesterday for
 * applications with recent history. Does nothing when another server is
 * doing the same. Days computed before they were over (the server was down
 * when they ended) are computed again. `onDay` is told after each day, for progress bars.
 */
export async function refreshRollups(
  db: Database,
  options: {
    now: Date;
    windowDays: number;
    onDay?: (done: number, total: number) => void;
    /** Stops the round between two days. */
    signal?: AbortSignal;
  },
): Promise<RollupReport> {
  const today = utcDay(options.now);
  // A mark renewed while this round runs has another number and stays for the next round.
  const stale = await db.query<{ appId: number; day: string; mark: string }>(sql`
    select app_id as "appId", day::text as day, mark::text as mark from rollup_stale`);
  const days = await daysToRollUp(db, { today, windowDays: options.windowDays, stale });
  for (const [i, day] of days.entries()) {
    if (options.signal?.aborted) return { ran: false, daysComputed: i };
    const computed = await rollUpDay(db, {
      ...day,
      windowDays: options.windowDays,
      now: options.now,
    });
    // Another server is computing rollups right now: it does this round.
    if (!computed) return { ran: false, daysComputed: i };
    options.onDay?.(i + 1, days.length);
  }
  for (const mark of stale) {
    await db.query(sql`
      delete from rollup_stale
      where app_id = ${mark.appId} and day = ${mark.day}::date and mark = ${mark.mark}::bigint`);
  }
  return { ran: true, daysComputed: days.length };
}

/**
 * The days {@linkcode refreshRollups} computes, by application and day,
 * oldest first: a day whose history changed touches the counts of the days
 * after it too (active and gone within the window, new and returned beyond).
 */
async function daysToRollUp(
  db: Database,
  options: {
    today: string;
    windowDays: number;
    stale: readonly { appId: number; day: string }[];
  },
): Promise<RollupDay[]> {
  const { today, windowDays } = options;
  const rows = await db.query<RollupDay>(sql`
    with spans as (
      select a.id as app_id, h.first_day
      from applications a
      cross join lateral (
        select min(day) as first_day from instance_days where app_id = a.id
      ) h
      where h.first_day is not null
    ),
    missing as (
      select s.app_id, g.day::date as day
      from spans s
      cross join lateral generate_series(s.first_day::timestamp, ${today}::date::timestamp,
        interval '1 day') g(day)
      left join app_days r on r.app_id = s.app_id and r.day = g.day::date
      where r.app_id is null or r.window_days <> ${windowDays}
    ),
    recent as (
      select s.app_id, d.day
      from spans s
      cross join (values (${today}::date), (${today}::date - 1)) d(day)
      where d.day >= s.first_day and exists (
        select 1 from instance_days h
        where h.app_id = s.app_id
          and h.day between ${today}::date - 1 - ${windowDays}::int and ${today}::date)
    ),
    unfinished as (
      -- computed before every snapshot of the day could have arrived (the server was down); a
      -- snapshot received before the end of the next day is stored within the hour after it
      select app_id, day from app_days
      where day < ${today}::date - 1
        and computed_at < ((day + 2)::timestamp at time zone 'UTC') + interval '1 hour'
    ),
    marked as (
      select m.app_id, g.day::date as day
      from unnest(${options.stale.map((s) => s.appId)}::int[],
        ${options.stale.map((s) => s.day)}::date[]) m(app_id, day)
      cross join lateral generate_series(m.day::timestamp, ${today}::date::timestamp,
        interval '1 day') g(day)
    )
    select app_id as "appId", day::text as day
    from (
      select * from missing union select * from recent
      union select * from unfinished union select * from marked
    ) days
    order by day, app_id`);
  return rows;
}

/**
 * Computes one application's rollup of one day from its history and
 * replaces what was stored for that day, in one transaction. Answers false,
 * computing nothing, while another server is computing a rollup.
 */
export async function rollUpDay(
  db: Database,
  options: RollupDay & { windowDays: number; now: Date },
): Promise<boolean> {
  const { appId, windowDays } = options;
  const day = sql`${options.day}::date`;
  return await db.transaction(async (tx) => {
    const [lock] = await tx.query<{ locked: boolean }>(
      sql`select pg_try_advisory_xact_lock(${ROLLUP_LOCK_KEY}::bigint) as locked`,
    );
    if (!lock?.locked) return false;
    await tx.query(sql`delete from app_days where app_id = ${appId} and day = ${day}`);
    await tx.query(sql`delete from app_day_shares where app_id = ${appId} and day = ${day}`);
    await tx.query(sql`delete from app_day_metrics where app_id = ${appId} and day = ${day}`);
    // Active instances follow from the day before: those that entered, minus those that left.
    const [before] = await tx.query<{ active: number }>(sql`
      select active from app_days
      where app_id = ${appId} and day = ${day} - 1 and window_days = ${windowDays}`);
    const active = before === undefined
      ? sql`(select count(distinct instance_id) from instance_days
          where app_id = ${appId} and day between ${day} - ${windowDays - 1}::int and ${day})`
      : sql`${before.active}::int + new + returned - gone`;
    await tx.query(sql`
      with day_rows as (
        select d.snapshots, (
          select max(p.day) from instance_days p
          where p.instance_id = d.instance_id and p.day < ${day}
        ) as previous_day
        from instance_days d
        where d.app_id = ${appId} and d.day = ${day}
      ),
      counts as (
        select count(*)::int as reporting,
          count(*) filter (where previous_day is null)::int as new,
          count(*) filter (where previous_day < ${day} - ${windowDays}::int)::int as returned,
          coalesce(sum(snapshots), 0) as snapshots,
          (
            select count(*) from instance_days leaving
            where leaving.app_id = ${appId} and leaving.day = ${day} - ${windowDays}::int
              and not exists (
                select 1 from instance_days later
                where later.instance_id = leaving.instance_id
                  and later.day > ${day} - ${windowDays}::int and later.day <= ${day})
          )::int as gone
        from day_rows
      )
      insert into app_days (app_id, day, window_days, reporting, active, new, returned, gone,
        snapshots, computed_at)
      select ${appId}, ${day}, ${windowDays}, reporting, ${active}, new, returned, gone,
        snapshots, ${options.now.toISOString()}::timestamptz
      from counts`);
    await tx.query(sql`
      insert into app_day_shares (app_id, day, field, value, instances)
      select ${appId}, ${day}, field, value, instances
      from (
        select field, value, instances,
          row_number() over (partition by field order by instances desc, value collate "C")
            as rank
        from (
          select f.field, f.value, count(*)::int as instances
          from instance_days d
          cross join lateral (values ('version', d.app_version), ('os_arch', d.os_arch),
            ('deployment_mode', d.deployment_mode), ('environment', d.environment)) f(field, value)
          where d.app_id = ${appId} and d.day = ${day}
          group by f.field, f.value
          union all
          select 'metric:' || m.key, m.value #>> '{}', count(*)::int
          from instance_days d
          cross join lateral jsonb_each(d.metrics) m
          where d.app_id = ${appId} and d.day = ${day}
            and jsonb_typeof(m.value) in ('string', 'boolean')
          group by m.key, m.value #>> '{}'
        ) counted
      ) ranked
      where rank <= ${SHARES_KEPT_PER_FIELD}`);
    await tx.query(sql`
      with values_of_day as (
        select m.key, v.n,
          -- numbers beyond a float's range (possible in imported history) are clamped
          case when v.n is not null
            then least(greatest(v.n, -1.7976931348623157e308), 1.7976931348623157e308)::float8
          end as f
        from instance_days d
        cross join lateral jsonb_each(d.metrics) m
        cross join lateral (select case when jsonb_typeof(m.value) = 'number'
          then (m.value #>> '{}')::numeric end as n) v
        where d.app_id = ${appId} and d.day = ${day}
      ),
      percentiles as (
        select key, percentile_cont(array[0.5, 0.9, 0.99]::float8[])
          within group (order by f) as q
        from values_of_day where f is not null
        group by key
      )
      insert into app_day_metrics (app_id, day, metric, instances, numbers, sum, min, max,
        p50, p90, p99)
      select ${appId}, ${day}, v.key, count(*)::int, count(v.n)::int,
        -- a numeric sum cannot overflow; it is clamped like the values
        case when count(v.n) > 0 then least(greatest(sum(v.n), -1.7976931348623157e308),
          1.7976931348623157e308)::float8 end,
        min(v.f), max(v.f), p.q[1], p.q[2], p.q[3]
      from values_of_day v
      left join percentiles p on p.key = v.key
      group by v.key, p.q`);
    return true;
  });
}

/**
 * Marks days of history changed after their rollup was computed, so that the
 * next {@linkcode refreshRollups} computes them again.
 */
export async function markRollupsStale(
  db: Database,
  days: readonly RollupDay[],
): Promise<void> {
  if (days.length === 0) return;
  await db.query(sql`
    insert into rollup_stale (app_id, day)
    select distinct app_id, day
    from unnest(${days.map((d) => d.appId)}::int[], ${days.map((d) => d.day)}::date[])
      as t(app_id, day)
    on conflict (app_id, day) do update set mark = excluded.mark`);
}

function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}
