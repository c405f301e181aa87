/**
 * Daily per-application rollups kept current: which days to compute (see
 * `rollup_day.ts` for one day's figures, in both scopes) and the marks of
 * days whose history changed. The same functions fill them after a demo seed
 * or an import and keep them current in the server's upkeep (`server/upkeep/`).
 */

import { type Database, sql } from "../drivers/database.ts";
import { type RollupDay, rollUpDay } from "./rollup_day.ts";
import { rollUpRecentDay } from "./recent_day.ts";

export { type RollupDay, rollUpDay, SHARE_FIELDS, SHARES_KEPT_PER_FIELD } from "./rollup_day.ts";

/**
 * How long after its arrival (received_at, the server's clock) a snapshot
 * may still be committed, and how far two servers' clocks may differ: a
 * recent day is computed again when a snapshot for it arrived since its
 * rollup was computed, less this.
 */
const ARRIVAL_LAG_SECONDS = 300;

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
 * than the application's, those marked stale, today and yesterday when a
 * snapshot for them arrived since they were computed (yesterday once more
 * after it ended), and a day computed before it was over (the server was
 * down when it ended) once more an hour after the next day ended; each
 * together with every day after it up to today. So a round with nothing
 * arrived computes no day. Does nothing when another server is doing the
 * same. `onDay` is told after each day, for progress bars.
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
  const days = await daysToRollUp(db, {
    today,
    now: options.now,
    windowDays: options.windowDays,
    stale,
  });
  const yesterday = new Date(Date.parse(`${today}T00:00:00Z`) - 86_400_000).toISOString()
    .slice(0, 10);
  for (const [i, { fromChanges, ...day }] of days.entries()) {
    if (options.signal?.aborted) return { ran: false, daysComputed: i };
    const computing = { ...day, windowDays: options.windowDays, now: options.now };
    // Today and yesterday are kept from counts; a window of one day has today's count of
    // instances gone read yesterday, which still changes: computed from its rows.
    const recent = day.day >= yesterday && day.day <= today &&
      (options.windowDays >= 2 || day.day < today);
    const computed = recent
      ? await rollUpRecentDay(db, { ...computing, fromChanges })
      : await rollUpDay(db, computing);
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
 * `fromChanges` is true for a day that may be kept from the rows changed
 * since it was computed: only snapshots for it or for the day before it
 * arrived (no day up to it is missing, marked or unfinished).
 */
async function daysToRollUp(
  db: Database,
  options: {
    today: string;
    now: Date;
    windowDays: number;
    stale: readonly { appId: number; day: string }[];
  },
): Promise<(RollupDay & { fromChanges: boolean })[]> {
  const { today, windowDays } = options;
  const rows = await db.query<RollupDay & { fromChanges: boolean }>(sql`
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
      -- today and yesterday change only by the snapshots that arrive for them (later ones are
      -- marked): computed again when one arrived since (or shortly before, see ARRIVAL_LAG), and
      -- yesterday once more after it ended
      select r.app_id, r.day
      from app_days r
      where r.scope = 'counted' and r.day between ${today}::date - 1 and ${today}::date
        and (
          (r.day < ${today}::date and r.computed_at < ${today}::date::timestamp at time zone 'UTC'
            + ${ARRIVAL_LAG_SECONDS} * interval '1 second')
          or exists (
            select 1 from snapshots n
            where n.app_id = r.app_id
              and n.received_at >= r.computed_at - ${ARRIVAL_LAG_SECONDS} * interval '1 second'
              and n.taken_at >= r.day::timestamp at time zone 'UTC'
              and n.taken_at < (r.day + 1)::timestamp at time zone 'UTC'))
    ),
    unfinished as (
      -- computed before every snapshot of the day could have arrived (the server was down); a
      -- snapshot received before the end of the next day is stored within the hour after it,
      -- so the day is computed once more after that hour
      select app_id, day from app_days
      where scope = 'counted' and day < ${today}::date - 1
        and computed_at < ((day + 2)::timestamp at time zone 'UTC') + interval '1 hour'
        and ${options.now.toISOString()}::timestamptz
          >= ((day + 2)::timestamp at time zone 'UTC') + interval '1 hour'
    ),
    marked as (
      select m.app_id, m.day
      from unnest(${options.stale.map((s) => s.appId)}::int[],
        ${options.stale.map((s) => s.day)}::date[]) m(app_id, day)
    ),
    chosen as (
      select * from missing union select * from recent
      union select * from unfinished union select * from marked
    ),
    -- a day's counts follow from the day before (active) and the window before it (gone,
    -- returned): every day after one computed again is computed again too
    changed as (
      select app_id, min(day) as first from (
        select * from missing union all select * from unfinished union all select * from marked
      ) c
      group by app_id
    ),
    days as (
      select c.app_id, g.day::date as day, h.first as first_changed
      from (select app_id, min(day) as first from chosen group by app_id) c
      left join changed h on h.app_id = c.app_id
      join spans s on s.app_id = c.app_id
      cross join lateral generate_series(greatest(c.first, s.first_day)::timestamp,
        ${today}::date::timestamp, interval '1 day') g(day)
    )
    select app_id as "appId", day::text as day,
      (first_changed is null or day < first_changed) as "fromChanges"
    from days
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
