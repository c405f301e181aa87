/**
 * Daily per-application rollups kept current: which days to compute (see
 * `rollup_day.ts` for one day's figures, in both scopes) and the marks of
 * days whose history changed. The same functions fill them after a demo seed
 * or an import and keep them current in the server's upkeep (`server/upkeep/`).
 */

import { type Database, sql } from "../drivers/database.ts";
import { type RollupDay, rollUpDay } from "./rollup_day.ts";

export { type RollupDay, rollUpDay, SHARE_FIELDS, SHARES_KEPT_PER_FIELD } from "./rollup_day.ts";

/** What one round of {@linkcode refreshRollups} did. */
export interface RollupReport {
  /** False when another server held the lock or the round was stopped: it did not finish. */
  readonly ran: boolean;
  readonly daysComputed: number;
}

/**
 * Brings every application's rollups up to date as of `now`: computes the
 * days that have none yet (from the app's first day of history to today),
 * those computed with another active window or other excluded environments
 * than the application's, those marked stale together with
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
      select a.id as app_id, h.first_day, a.excluded_environments
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
      left join app_days r on r.app_id = s.app_id and r.scope = 'counted'
        and r.day = g.day::date
      where r.app_id is null or r.window_days <> ${windowDays}
        or r.excluded_environments <> s.excluded_environments
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
      where scope = 'counted' and day < ${today}::date - 1
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
