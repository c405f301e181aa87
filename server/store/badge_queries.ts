/**
 * Read queries for badges (the per-application switch that allows them is in
 * `app_settings_queries.ts`). Badges read the latest state only (`instances`), never history: each
 * question is one statement over an application's active instances.
 */

import { type Database, sql } from "./database.ts";

/** An application as a badge sees it: whether it exists, may be shown, and its active count. */
export interface BadgeApplication {
  readonly id: number;
  readonly publicBadges: boolean;
  /** Instances with status `active` seen since the window's start. */
  readonly active: number;
}

/** Finds an application by slug with its active instance count; null when the slug is unknown. */
export async function findBadgeApplication(
  db: Database,
  options: { slug: string; activeSince: Date },
): Promise<BadgeApplication | null> {
  const [row] = await db.query<BadgeApplication>(sql`
    select a.id, a.public_badges as "publicBadges",
      (select count(*)::int from instances i
        where i.app_id = a.id and i.status = 'active' and i.last_seen >= ${options.activeSince}
      ) as active
    from applications a
    where a.slug = ${options.slug}`);
  return row ?? null;
}

/** The version run by the most active instances, and by how many; ties go to the one seen last. */
export interface CommonVersion {
  readonly version: string;
  readonly instances: number;
}

/** Returns the most common version among an application's active instances, or null when none. */
export async function mostCommonActiveVersion(
  db: Database,
  options: { appId: number; activeSince: Date },
): Promise<CommonVersion | null> {
  const [row] = await db.query<CommonVersion>(sql`
    select app_version as version, count(*)::int as instances
    from instances
    where app_id = ${options.appId} and status = 'active' and last_seen >= ${options.activeSince}
    group by app_version
    order by count(*) desc, max(last_seen) desc, app_version desc
    limit 1`);
  return row ?? null;
}

/** Aggregates of one numeric metric over the active instances that reported it as a number. */
export interface MetricAggregates {
  /** How many active instances have a numeric latest value for the metric. */
  readonly instances: number;
  readonly sum: number | null;
  readonly avg: number | null;
  readonly min: number | null;
  readonly max: number | null;
}

/**
 * Sums, averages and bounds one metric's latest numeric values over an
 * application's active instances. Strings and booleans are not counted. The
 * arithmetic is exact (numeric); results are clamped to what a float holds.
 */
export async function activeMetricAggregates(
  db: Database,
  options: { appId: number; activeSince: Date; metric: string },
): Promise<MetricAggregates> {
  const [row] = await db.query<MetricAggregates>(sql`
    with v as (
      select (metrics -> ${options.metric}::text #>> '{}')::numeric as value
      from instances
      where app_id = ${options.appId} and status = 'active'
        and last_seen >= ${options.activeSince}
        and jsonb_typeof(metrics -> ${options.metric}::text) = 'number'
    )
    select count(*)::int as instances,
      least(greatest(sum(value), -1.7976931348623157e308), 1.7976931348623157e308)::float8 as sum,
      least(greatest(avg(value), -1.7976931348623157e308), 1.7976931348623157e308)::float8 as avg,
      least(greatest(min(value), -1.7976931348623157e308), 1.7976931348623157e308)::float8 as min,
      least(greatest(max(value), -1.7976931348623157e308), 1.7976931348623157e308)::float8 as max
    from v`);
  return row ?? { instances: 0, sum: null, avg: null, min: null, max: null };
}
