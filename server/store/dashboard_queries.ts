/** Read queries of the dashboard pages: most used versions and activity over time by version. */

import { type Database, sql } from "./database.ts";

/** An application's most used version among its active instances. */
export interface TopVersionRow {
  readonly appId: number;
  readonly version: string;
  readonly instances: number;
}

/**
 * For each application with active instances (active and seen since
 * `activeSince`), its most used version; ties go to the highest version text.
 */
export async function topVersionByApp(
  db: Database,
  options: { activeSince: Date },
): Promise<TopVersionRow[]> {
  return await db.query<TopVersionRow>(sql`
    select distinct on (app_id) app_id as "appId", app_version as version,
      count(*)::int as instances
    from instances
    where status = 'active' and last_seen >= ${options.activeSince}
    group by app_id, app_version
    order by app_id, count(*) desc, app_version desc`);
}

/**
 * Instances that reported in one time bucket, for one version, or for all
 * versions together when `version` is null.
 */
export interface BucketActivityRow {
  /** The bucket's start, in seconds since the epoch (UTC). */
  readonly at: number;
  readonly version: string | null;
  readonly instances: number;
}

/**
 * Per UTC hour since `since`: instances that sent a snapshot, in all (rows
 * with a null version) and by version, from the raw snapshots.
 */
export async function hourlyActivityByVersion(
  db: Database,
  options: { appId: number; since: Date },
): Promise<BucketActivityRow[]> {
  return await db.query<BucketActivityRow>(sql`
    select extract(epoch from date_trunc('hour', received_at at time zone 'UTC'))::float8 as at,
      app_version as version, count(distinct instance_id)::int as instances
    from snapshots
    where app_id = ${options.appId} and received_at >= ${options.since}
    group by grouping sets (
      (date_trunc('hour', received_at at time zone 'UTC')),
      (date_trunc('hour', received_at at time zone 'UTC'), app_version))
    order by at, version nulls first`);
}
