/**
 * What `GET /metrics` reads: per application, the figures of its summary of
 * every instance (scope `all`: the excluded environments are in it, under
 * their own `environment` label), computed by the upkeep from `instances`, with only the numeric metrics
 * its owner marked exportable. One statement over `applications` and
 * `app_summaries`, never the instances, so its cost follows the number of
 * applications, not of instances.
 */

import { type Database, sql } from "./drivers/database.ts";

/** One value of a breakdown and how many active instances have it (largest first). */
export interface ExportedBreakdownRow {
  readonly value: string | null;
  readonly instances: number;
}

/** A numeric metric over the active instances whose latest value of it is a number. */
export interface ExportedMetric {
  readonly instances: number;
  readonly sum: number;
  readonly avg: number;
}

/** One application's figures for the exposition; zero before its first summary. */
export interface ExportedFigures {
  readonly slug: string;
  /** When the summary was computed; null before the first one. */
  readonly computedAt: Date | null;
  readonly instances: number;
  readonly active: number;
  readonly pending: number;
  readonly revoked: number;
  /** Active instances by `app_version`, `os_arch`, `environment`, `deployment_mode`. */
  readonly breakdowns: Readonly<Record<string, readonly ExportedBreakdownRow[]>>;
  /** The exportable metrics the summary holds, by key (a chosen metric nobody sends is absent). */
  readonly metrics: Readonly<Record<string, ExportedMetric>>;
}

/**
 * The figures of at most `limit` applications, those with the most active
 * instances first (ties by slug), each with only its exported metrics.
 */
export async function listExportedFigures(
  db: Database,
  limit: number,
): Promise<ExportedFigures[]> {
  const rows = await db.query<
    Omit<ExportedFigures, "breakdowns" | "metrics"> & { breakdowns: unknown; metrics: unknown }
  >(sql`
    select a.slug, s.computed_at as "computedAt", coalesce(s.instances, 0) as instances,
      coalesce(s.active, 0) as active, coalesce(s.pending, 0) as pending,
      coalesce(s.revoked, 0) as revoked, coalesce(s.breakdowns, '{}'::jsonb) as breakdowns,
      coalesce((select jsonb_object_agg(m.key, m.value) from jsonb_each(s.metrics) m
        where m.key = any(a.exported_metrics)), '{}'::jsonb) as metrics
    from applications a
    left join app_summaries s on s.app_id = a.id and s.scope = 'all'
    order by coalesce(s.active, 0) desc, a.slug
    limit ${limit}`);
  return rows.map((row) => ({
    ...row,
    computedAt: row.computedAt === null ? null : new Date(row.computedAt),
    breakdowns: jsonObject(row.breakdowns) as ExportedFigures["breakdowns"],
    metrics: jsonObject(row.metrics) as ExportedFigures["metrics"],
  }));
}

/** A jsonb value as a driver hands it back (parsed, or as text), as an object. */
function jsonObject(value: unknown): Record<string, unknown> {
  const parsed = typeof value === "string" ? JSON.parse(value) : value;
  return typeof parsed === "object" && parsed !== null ? parsed as Record<string, unknown> : {};
}
