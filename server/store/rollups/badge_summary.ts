/**
 * What badges read: the application's summary of its latest state
 * (`app_summaries`), one row, never its instances or history. Whether the
 * application allows public badges is its own setting (`applications.ts`).
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
  /** Active instances (zero before the application's first summary). */
  readonly active: number;
  /** The version most active instances run; null with none active. */
  readonly topVersion: string | null;
  /** The metric asked for over the active instances; zero instances when none sends it. */
  readonly metric: MetricAggregates;
}

const NO_METRIC: MetricAggregates = { instances: 0, sum: null, avg: null, min: null, max: null };

/**
 * Reads what the badges of application `appId` show from its summary in the
 * `counted` scope (its excluded environments left out), with the figures of
 * `metric` when given (zero before its first summary).
 */
export async function findBadgeSummary(
  db: Database,
  options: { appId: number; metric?: string },
): Promise<BadgeSummary> {
  const [row] = await db.query<{
    active: number;
    topVersion: string | null;
    metric: MetricAggregates | null;
  }>(sql`
    select coalesce(s.active, 0) as active,
      s.breakdowns -> 'app_version' -> 0 ->> 'value' as "topVersion",
      s.metrics -> ${options.metric ?? ""}::text as metric
    from (select ${options.appId}::int as app_id) wanted
    left join app_summaries s on s.app_id = wanted.app_id and s.scope = 'counted'`);
  return {
    active: row?.active ?? 0,
    topVersion: row?.topVersion ?? null,
    metric: row?.metric ?? NO_METRIC,
  };
}
