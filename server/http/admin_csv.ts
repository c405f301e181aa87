/**
 * The admin API's CSV: the same figures as its JSON (`admin_json.ts`), one
 * record per instance or per day and metric, with a header record first.
 */

import type { DailyMetrics, InstancePage } from "../stats/mod.ts";
import type { CsvField } from "./csv.ts";

/** The columns of `GET /api/v1/admin/instances?format=csv`; `metrics` holds the latest metrics as JSON. */
export const INSTANCE_COLUMNS = [
  "instance_id",
  "app_slug",
  "app_version",
  "status",
  "environment",
  "deployment_mode",
  "os_arch",
  "first_seen",
  "last_seen",
  "last_snapshot_at",
  "metrics",
] as const;

/**
 * The records of every instance from `first` on, asking `next` for each
 * following page, up to `limit` instances when given.
 */
export async function* instancesCsv(
  first: InstancePage,
  options: {
    next: (cursor: string) => Promise<InstancePage | { readonly kind: string }>;
    limit: number | undefined;
  },
): AsyncGenerator<readonly CsvField[]> {
  yield INSTANCE_COLUMNS;
  let left = options.limit ?? Infinity;
  let page: InstancePage | { readonly kind: string } = first;
  while ("instances" in page) {
    for (const row of page.instances) {
      if (left-- <= 0) return;
      yield [
        row.instanceId,
        row.appSlug,
        row.appVersion,
        row.status,
        row.environment,
        row.deploymentMode,
        row.osArch,
        row.firstSeen.toISOString(),
        row.lastSeen.toISOString(),
        row.lastSnapshotAt?.toISOString() ?? null,
        JSON.stringify(row.metrics),
      ];
    }
    if (page.nextCursor === null || left <= 0) return;
    page = await options.next(page.nextCursor);
  }
}

/** The columns of `GET /api/v1/admin/metrics/{slug}?format=csv`. */
export const DAILY_METRIC_COLUMNS = [
  "day",
  "active_instances",
  "metric",
  "instances",
  "sum",
  "avg",
  "min",
  "max",
  "p50",
  "p90",
  "p99",
] as const;

/**
 * One record per day and numeric metric (long form: one column per figure),
 * oldest day first, metrics by name; a day without metrics has one record
 * with its active instances and empty metric fields.
 */
export function* dailyMetricsCsv(metrics: DailyMetrics): Generator<readonly CsvField[]> {
  yield DAILY_METRIC_COLUMNS;
  for (const day of metrics.series) {
    const names = Object.keys(day.metrics).sort();
    if (names.length === 0) {
      yield [day.day, day.activeInstances, null, null, null, null, null, null, null, null, null];
    }
    for (const name of names) {
      const m = day.metrics[name]!;
      yield [
        day.day,
        day.activeInstances,
        name,
        m.instances,
        m.sum,
        m.avg,
        m.min,
        m.max,
        m.p50,
        m.p90,
        m.p99,
      ];
    }
  }
}
