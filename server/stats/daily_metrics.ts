/** Per-day series of an application's activity and numeric metrics. */

import { dailyActivity, dailyNumericMetrics, findApplication } from "../store/mod.ts";
import type { StatsContext } from "./context.ts";

/** One numeric metric on one day, over the instances that reported it that day. */
export interface MetricDay {
  sum: number;
  avg: number;
  instances: number;
}

/**
 * Returns the last `days` UTC days (today included) of an application: for
 * each day, the instances that reported and each numeric metric's sum and
 * average over their last values of the day. Days without data are present
 * with zero instances. Null when the slug is unknown.
 */
export async function dailyMetrics(ctx: StatsContext, slug: string, days: number) {
  const app = await findApplication(ctx.db, slug);
  if (app === null) return null;
  const today = Date.UTC(
    ctx.now().getUTCFullYear(),
    ctx.now().getUTCMonth(),
    ctx.now().getUTCDate(),
  );
  const dayList = Array.from(
    { length: days },
    (_, i) => new Date(today - (days - 1 - i) * 86_400_000).toISOString().slice(0, 10),
  );
  const fromDay = dayList[0] ?? new Date(today).toISOString().slice(0, 10);
  const [activity, metrics] = await Promise.all([
    dailyActivity(ctx.db, { appId: app.id, fromDay }),
    dailyNumericMetrics(ctx.db, { appId: app.id, fromDay }),
  ]);
  const instancesByDay = new Map(activity.map((row) => [row.day, row.instances]));
  const metricsByDay = new Map<string, Record<string, MetricDay>>();
  for (const row of metrics) {
    const day = metricsByDay.get(row.day) ?? {};
    day[row.key] = { sum: row.sum, avg: row.avg, instances: row.instances };
    metricsByDay.set(row.day, day);
  }
  return {
    app: app.slug,
    days,
    series: dayList.map((day) => ({
      day,
      active_instances: instancesByDay.get(day) ?? 0,
      metrics: metricsByDay.get(day) ?? {},
    })),
  };
}
