/**
 * Hourly activity per application for the last day: how many instances sent
 * a snapshot in each hour, in all and by version, in both scopes (an
 * instance's scope by its current environment), counted from the raw
 * snapshots by the upkeep so that the 24-hour chart reads 25 rows a version.
 */

import { type Database, sql } from "../drivers/database.ts";
import { inScope, ROLLUP_SCOPES, type RollupScope } from "./rollup_scope.ts";

/** First of the two advisory lock keys held while one server counts an application's hours. */
const HOURS_LOCK_CLASS = 7_368_775;

const HOUR_MS = 3_600_000;

/** Hours kept and counted back from the current one. */
const HOURS_KEPT = 26;

/** A snapshot stored this long after its hour ended still counts; the hour is final after. */
const SETTLE_MS = 5 * 60_000;

/**
 * Instances that reported in one hour, for one version, or for all versions
 * together when `version` is null.
 */
export interface BucketActivityRow {
  /** The hour's start, in seconds since the epoch. */
  readonly at: number;
  readonly version: string | null;
  readonly instances: number;
}

/**
 * Counts, for every application with snapshots in the last day, each hour of
 * that day not counted since it ended or since the application's settings
 * last changed (the current one always), and forgets older hours. Applications another server is counting are skipped. Returns
 * how many application-hours were counted.
 */
export async function refreshHourlyActivity(
  db: Database,
  options: { now: Date },
): Promise<number> {
  const currentHour = Math.floor(options.now.getTime() / HOUR_MS) * HOUR_MS;
  const firstHour = new Date(currentHour - (HOURS_KEPT - 1) * HOUR_MS).toISOString();
  await db.query(sql`delete from app_hours where hour < ${firstHour}::timestamptz`);
  const pending = await db.query<{ appId: number; excluded: string[]; hours: string[] }>(sql`
    select a.id as "appId", a.excluded_environments as excluded,
      array_agg(h.hour::text order by h.hour) as hours
    from applications a
    cross join generate_series(${firstHour}::timestamptz,
      ${new Date(currentHour).toISOString()}::timestamptz, interval '1 hour') h(hour)
    where exists (
        select 1 from snapshots s
        where s.app_id = a.id and s.received_at >= ${firstHour}::timestamptz)
      and not exists (
        select 1 from app_hours c
        where c.app_id = a.id and c.scope = 'counted' and c.hour = h.hour and c.version is null
          and c.computed_at >= a.updated_at
          and c.computed_at >= h.hour + interval '1 hour' + ${
    SETTLE_MS / 1000
  } * interval '1 second')
    group by a.id`);
  let counted = 0;
  for (const { appId, excluded, hours } of pending) {
    const done = await db.transaction(async (tx) => {
      const [lock] = await tx.query<{ locked: boolean }>(
        sql`select pg_try_advisory_xact_lock(${HOURS_LOCK_CLASS}::int, ${appId}::int) as locked`,
      );
      if (!lock?.locked) return false;
      await tx.query(sql`
        delete from app_hours where app_id = ${appId} and hour = any(${hours}::timestamptz[])`);
      for (const scope of ROLLUP_SCOPES) {
        const kept = inScope(scope, { environment: sql`i.environment`, excluded });
        await tx.query(sql`
          with wanted as (select unnest(${hours}::timestamptz[]) as hour),
          counted as (
            select date_trunc('hour', s.received_at, 'UTC') as hour, s.app_version as version,
              count(distinct s.instance_id)::int as instances
            from snapshots s
            left join instances i on i.instance_id = s.instance_id
            where s.app_id = ${appId} and s.received_at >= (select min(hour) from wanted)
              and ${kept}
            group by grouping sets ((1), (1, 2))
          )
          insert into app_hours (app_id, scope, hour, version, instances, computed_at)
          select ${appId}, ${scope}, w.hour, c.version, coalesce(c.instances, 0),
            ${options.now.toISOString()}::timestamptz
          -- an hour without snapshots still gets its row of all versions, with zero
          from wanted w
          left join counted c on c.hour = w.hour`);
      }
      return true;
    });
    if (done) counted += hours.length;
  }
  return counted;
}

/**
 * Per UTC hour since `since`: instances in `scope` that sent a snapshot, in
 * all (rows with a null version) and by version, as last counted by the upkeep.
 */
export async function hourlyActivityByVersion(
  db: Database,
  options: { appId: number; scope: RollupScope; since: Date },
): Promise<BucketActivityRow[]> {
  return await db.query<BucketActivityRow>(sql`
    select extract(epoch from hour)::float8 as at, version, instances
    from app_hours
    where app_id = ${options.appId} and scope = ${options.scope} and hour >= ${options.since}
    order by at, version nulls first`);
}
