/** Per-day series of an application's activity and numeric metrics, from the daily rollups. */

import { appDayMetricRows, appDayRows, findApplication } from "../store/mod.ts";
import type { StatsContext } from "./context.ts";
import { UNKNOWN_APP, type UnknownApp } from "./results.ts";

/** One numeric metric on one day, over the instances that sent it as a number that day. */
export interface MetricDay {
  sum: number;
  avg: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p99: number;
  instances: number;
}

/** One UTC day of an application: the instances that reported, and each numeric metric. */
export interface ActivityDay {
  /** The day, `YYYY-MM-DD`. */
  readonly day: string;
  readonly activeInstances: number;
  readonly metrics: Readonly<Record<string, MetricDay>>;
}

/** An application's last days, oldest first. */
export interface DailyMetrics {
  readonly kind: "found";
  readonly slug: string;
  readonly days: number;
  readonly series: readonly ActivityDay[];
}

/**
 * Returns the last `days` UTC days (today included) of an application: for
 * each day, the instances that reported and each numeric metric's sum,
 * average, extremes and percentiles over their last values of the day, as
 * of the last rollup. Days without data are present with zero instances.
 * `unknown_app` when no application has that slug.
 */
export async function dailyMetrics(
  ctx: StatsContext,
  slug: string,
  days: number,
): Promise<DailyMetrics | UnknownApp> {
  const app = await findApplication(ctx.db, slug);
  if (app === null) return UNKNOWN_APP;
  const now = ctx.now();
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const dayList = Array.from(
    { length: days },
    (_, i) => new Date(today - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10),
  );
  const range = {
    appId: app.id,
    scope: "all" as const,
    fromDay: dayList[0]!,
    toDay: dayList.at(-1)!,
  };
  const [activity, metrics] = await Promise.all([
    appDayRows(ctx.db, range),
    appDayMetricRows(ctx.db, range),
  ]);
  const instancesByDay = new Map(activity.map((row) => [row.day, row.reporting]));
  const metricsByDay = new Map<string, Record<string, MetricDay>>();
  for (const row of metrics) {
    if (row.numbers === 0 || row.sum === null) continue;
    const day = metricsByDay.get(row.day) ?? {};
    day[row.metric] = {
      sum: row.sum,
      avg: row.sum / row.numbers,
      min: row.min ?? 0,
      max: row.max ?? 0,
      p50: row.p50 ?? 0,
      p90: row.p90 ?? 0,
      p99: row.p99 ?? 0,
      instances: row.numbers,
    };
    metricsByDay.set(row.day, day);
  }
  return {
    kind: "found",
    slug: app.slug,
    days,
    series: dayList.map((day) => ({
      day,
      activeInstances: instancesByDay.get(day) ?? 0,
      metrics: metricsByDay.get(day) ?? {},
    })),
  };
}
