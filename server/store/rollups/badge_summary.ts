/**
 * Read queries for badges (the per-application switch that allows them is in
 * `app_settings_queries.ts`). Badges read the application's summary of its
 * latest state (`app_summaries`): one row, never its instances or history.
 */

import { type Database, sql } from "../drivers/database.ts";

/** Aggregates of one numeric metric over the active instances that reported it as a number. */
export interface MetricAggregates {
  /** How many active instances have a numeric latest value for the metric. */
  readonly instances: number;
  readonly sum: number | null;
  readonly avg: number | null;
  readonly min: number | null;
  readonly max: number | null;
}

/** What a badge of one application can show, from its summary. */
export interface BadgeSummary {
  readonly publicBadges: boolean;
  /** Active instances (zero before the application's first summary). */
  readonly active: number;
  /** The version most active instances run; null with none active. */
  readonly topVersion: string | null;
  /** The metric asked for over the active instances; zero instances when none sends it. */
  readonly metric: MetricAggregates;
}

const NO_METRIC: MetricAggregates = { instances: 0, sum: null, avg: null, min: null, max: null };

/**
 * Reads what the badges of application `slug` show from its summary, with
 * the figures of `metric` when given; null when the slug is unknown.
 */
export async function findBadgeSummary(
  db: Database,
  options: { slug: string; metric?: string },
): Promise<BadgeSummary | null> {
  const [row] = await db.query<{
    publicBadges: boolean;
    active: number;
    topVersion: string | null;
    metric: MetricAggregates | null;
  }>(sql`
    select a.public_badges as "publicBadges", coalesce(s.active, 0) as active,
      s.breakdowns -> 'app_version' -> 0 ->> 'value' as "topVersion",
      s.metrics -> ${options.metric ?? ""}::text as metric
    from applications a
    left join app_summaries s on s.app_id = a.id
    where a.slug = ${options.slug}`);
  if (row === undefined) return null;
  return { ...row, metric: row.metric ?? NO_METRIC };
}
