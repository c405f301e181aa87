/**
 * An application's activity over a period, bucket by bucket: instances
 * reporting per hour (24 h, from raw snapshots) or per day (longer periods,
 * from the daily rollups: active, new, returned and gone instances, versions,
 * platforms, and every metric the application sends).
 */

import {
  appDayMetricRows,
  appDayRows,
  type AppDayShareRow,
  appDayShareRows,
  type Application,
  findApplication,
  hourlyActivityByVersion,
  type RollupScope,
} from "../store/mod.ts";
import type { StatsContext } from "./context.ts";
import { UNKNOWN_APP, type UnknownApp } from "./results.ts";

/** The periods the application page offers, as they appear in its URL. */
export const DASHBOARD_PERIODS = ["24h", "7d", "30d", "90d", "1y"] as const;

/** A period of the application page. */
export type DashboardPeriod = (typeof DASHBOARD_PERIODS)[number];

/** Whether `text` names a dashboard period. */
export function isDashboardPeriod(text: string): text is DashboardPeriod {
  return (DASHBOARD_PERIODS as readonly string[]).includes(text);
}

const PERIOD_BUCKETS: Record<DashboardPeriod, { step: "hour" | "day"; count: number }> = {
  "24h": { step: "hour", count: 24 },
  "7d": { step: "day", count: 7 },
  "30d": { step: "day", count: 30 },
  "90d": { step: "day", count: 90 },
  "1y": { step: "day", count: 365 },
};

/** How many values a share chart shows by name; the rest are summed as "other". */
const NAMED_VALUES = 6;

/** How many metrics of each kind get a chart; more are left out, the most sent first. */
const CHARTED_METRICS = 24;

const DAY_MS = 86_400_000;

/** Instances per value of one field, one series per value, over the buckets. */
export interface ShareSeries {
  /** The value; "other" sums the values not named, "unknown" those not sent. */
  readonly label: string;
  readonly instances: number[];
}

/** The platform fields charted, with their titles. */
export const PLATFORM_FIELDS = [
  { field: "os_arch", title: "Operating system and architecture" },
  { field: "deployment_mode", title: "Deployment mode" },
  { field: "environment", title: "Environment" },
] as const;

/**
 * String metrics the SDKs send about the platform, charted with it rather
 * than with the metrics. A Map: a metric may be named `constructor`.
 */
const PLATFORM_METRICS: ReadonlyMap<string, string> = new Map([["sys_runtime", "Runtime"]]);

/**
 * Metrics whose presence tells a platform metric's value for the SDKs that do
 * not send it: the original Node.js SDK sends `sys_node_version` where ours
 * sends `sys_runtime`, so its instances count as `node` in the runtime chart.
 */
const PLATFORM_METRIC_MARKERS: ReadonlyMap<string, { metric: string; value: string }> = new Map([
  ["sys_runtime", { metric: "sys_node_version", value: "node" }],
]);

/** A numeric metric per day, over the instances that sent it as a number that day. */
export interface NumberMetricSeries {
  readonly name: string;
  readonly instances: (number | null)[];
  readonly sum: (number | null)[];
  readonly avg: (number | null)[];
  readonly min: (number | null)[];
  readonly max: (number | null)[];
  readonly p50: (number | null)[];
  readonly p90: (number | null)[];
  readonly p99: (number | null)[];
}

/** A string or boolean metric per day: instances per value. */
export interface ValueMetricSeries {
  readonly name: string;
  readonly values: ShareSeries[];
}

/** What the daily rollups add to a period of days. */
export interface DailyDetail {
  /** Instances active (a snapshot within the active window) on each day. */
  readonly active: number[];
  readonly new: number[];
  readonly returned: number[];
  readonly gone: number[];
  readonly platforms: { readonly field: string; readonly title: string; series: ShareSeries[] }[];
  readonly numberMetrics: NumberMetricSeries[];
  readonly valueMetrics: ValueMetricSeries[];
  /** When the newest day's figures were computed; null before the first rollup. */
  readonly computedAt: Date | null;
}

/** An application's activity over a period. */
export interface ApplicationActivity {
  readonly kind: "found";
  readonly app: { readonly slug: string; readonly name: string };
  readonly period: DashboardPeriod;
  readonly step: "hour" | "day";
  /** Each bucket's start, in seconds since the epoch (UTC), oldest first. */
  readonly buckets: number[];
  /** Instances that reported in each bucket. */
  readonly reporting: number[];
  /** The same by version: the most used versions of the period by name, the rest as "other". */
  readonly versions: ShareSeries[];
  /** Null for hourly periods: the rollups are daily. */
  readonly daily: DailyDetail | null;
}

/**
 * Returns the activity of application `slug` over `period` up to now, of
 * every instance (`scope` all, the default) or without its excluded
 * environments (`counted`). Buckets without data are zero (null for metric
 * figures). `unknown_app` when no application has that slug.
 */
export async function applicationActivity(
  ctx: StatsContext,
  slug: string,
  period: DashboardPeriod,
  options: { scope: RollupScope } = { scope: "all" },
): Promise<ApplicationActivity | UnknownApp> {
  const app = await findApplication(ctx.db, slug);
  return app === null ? UNKNOWN_APP : await activityOf(ctx, app, { period, scope: options.scope });
}

/** The activity of an application already found (the app page looks it up once), in `scope`. */
export async function activityOf(
  ctx: StatsContext,
  app: Pick<Application, "id" | "slug" | "name">,
  options: { period: DashboardPeriod; scope: RollupScope },
): Promise<ApplicationActivity> {
  const { period, scope } = options;
  const { step, count } = PERIOD_BUCKETS[period];
  const stepMs = step === "hour" ? 3_600_000 : DAY_MS;
  const lastBucketMs = Math.floor(ctx.now().getTime() / stepMs) * stepMs;
  const firstBucketMs = lastBucketMs - (count - 1) * stepMs;
  const buckets = Array.from({ length: count }, (_, i) => (firstBucketMs + i * stepMs) / 1000);
  const base = {
    kind: "found" as const,
    app: { slug: app.slug, name: app.name },
    period,
    step,
    buckets,
  };
  if (step === "hour") {
    const rows = await hourlyActivityByVersion(ctx.db, {
      appId: app.id,
      scope,
      since: new Date(firstBucketMs),
    });
    const index = new Map(buckets.map((at, i) => [at, i]));
    const reporting = buckets.map(() => 0);
    const byVersion: AppDayShareRow[] = [];
    for (const row of rows) {
      const i = index.get(row.at);
      if (i === undefined) continue;
      if (row.version === null) reporting[i] = row.instances;
      else {byVersion.push({
          day: String(row.at),
          field: "version",
          value: row.version,
          instances: row.instances,
        });}
    }
    const versions = shareSeries(byVersion, buckets.map(String), reporting);
    return { ...base, reporting, versions, daily: null };
  }

  const days = buckets.map((at) => new Date(at * 1000).toISOString().slice(0, 10));
  const range = { appId: app.id, scope, fromDay: days[0]!, toDay: days.at(-1)! };
  const [dayRows, shareRows, metricRows] = await Promise.all([
    appDayRows(ctx.db, range),
    appDayShareRows(ctx.db, range),
    appDayMetricRows(ctx.db, range),
  ]);
  const dayIndex = new Map(days.map((day, i) => [day, i]));
  const perDay = (pick: (row: (typeof dayRows)[number]) => number) => {
    const values = days.map(() => 0);
    for (const row of dayRows) {
      const i = dayIndex.get(row.day);
      if (i !== undefined) values[i] = pick(row);
    }
    return values;
  };
  const reporting = perDay((row) => row.reporting);
  const byField = Map.groupBy(shareRows, (row) => row.field);

  const metricsByName = Map.groupBy(metricRows, (row) => row.metric);
  const sentMost = [...metricsByName.entries()]
    .map(([name, rows]) => ({ name, rows, total: rows.reduce((n, r) => n + r.instances, 0) }))
    .sort((a, b) => b.total - a.total || (a.name < b.name ? -1 : 1));
  const numberMetrics: NumberMetricSeries[] = sentMost
    .filter((m) => m.rows.some((r) => r.numbers > 0))
    .slice(0, CHARTED_METRICS)
    .map(({ name, rows }) => {
      const series = (pick: (row: (typeof rows)[number]) => number | null) => {
        const values: (number | null)[] = days.map(() => null);
        for (const row of rows) {
          const i = dayIndex.get(row.day);
          if (i !== undefined && row.numbers > 0) values[i] = pick(row);
        }
        return values;
      };
      return {
        name,
        instances: series((r) => r.numbers),
        sum: series((r) => r.sum),
        avg: series((r) => r.sum === null ? null : r.sum / r.numbers),
        min: series((r) => r.min),
        max: series((r) => r.max),
        p50: series((r) => r.p50),
        p90: series((r) => r.p90),
        p99: series((r) => r.p99),
      };
    });
  const valueMetrics: ValueMetricSeries[] = sentMost
    .filter((m) => m.rows.some((r) => r.instances > r.numbers))
    .filter((m) => !PLATFORM_METRICS.has(m.name))
    .slice(0, CHARTED_METRICS)
    .map(({ name, rows }) => {
      const totals = days.map(() => 0);
      for (const row of rows) {
        const i = dayIndex.get(row.day);
        if (i !== undefined) totals[i] = row.instances - row.numbers;
      }
      return { name, values: shareSeries(byField.get(`metric:${name}`) ?? [], days, totals) };
    });
  const computedAt = dayRows.reduce<Date | null>(
    (latest, row) => latest === null || row.computedAt > latest ? row.computedAt : latest,
    null,
  );
  return {
    ...base,
    reporting,
    versions: shareSeries(byField.get("version") ?? [], days, reporting),
    daily: {
      active: perDay((row) => row.active),
      new: perDay((row) => row.new),
      returned: perDay((row) => row.returned),
      gone: perDay((row) => row.gone),
      platforms: [
        ...PLATFORM_FIELDS.map(({ field, title }) => ({
          field,
          title,
          series: shareSeries(byField.get(field) ?? [], days, reporting),
        })),
        // A platform metric shows when the application sends it; instances without it are "other".
        ...[...PLATFORM_METRICS]
          .map(([name, title]) => ({ name, title, rows: platformMetricRows(byField, name) }))
          .filter(({ rows }) => rows.length > 0)
          .map(({ name, title, rows }) => ({
            field: `metric:${name}`,
            title,
            series: shareSeries(rows, days, reporting),
          })),
      ],
      numberMetrics,
      valueMetrics,
      computedAt: computedAt === null ? null : new Date(computedAt),
    },
  };
}

/** The share rows of platform metric `name`, with those its marker metric stands in for. */
function platformMetricRows(
  byField: ReadonlyMap<string, readonly AppDayShareRow[]>,
  name: string,
): AppDayShareRow[] {
  const rows = [...byField.get(`metric:${name}`) ?? []];
  const marker = PLATFORM_METRIC_MARKERS.get(name);
  if (marker === undefined) return rows;
  for (const row of byField.get(`metric:${marker.metric}`) ?? []) {
    if (row.value !== null) rows.push({ ...row, value: marker.value });
  }
  return rows;
}

/**
 * Spreads counts per value over the buckets (`keys`, matched with each row's
 * `day`): the values with the most instances over the period by name, the
 * rest, and whatever `totals` holds beyond the rows, as "other".
 */
export function shareSeries(
  rows: readonly AppDayShareRow[],
  keys: readonly string[],
  totals: readonly number[],
): ShareSeries[] {
  const index = new Map(keys.map((key, i) => [key, i]));
  const byValue = new Map<string, number[]>();
  for (const row of rows) {
    const i = index.get(row.day);
    if (i === undefined) continue;
    const label = row.value ?? "unknown";
    const series = byValue.get(label) ?? keys.map(() => 0);
    series[i] = (series[i] ?? 0) + row.instances;
    byValue.set(label, series);
  }
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const ranked = [...byValue.entries()].sort((a, b) =>
    sum(b[1]) - sum(a[1]) || (a[0] < b[0] ? 1 : -1)
  );
  const named = ranked.slice(0, NAMED_VALUES).map(([label, instances]) => ({ label, instances }));
  const other = keys.map((_, i) =>
    Math.max(0, (totals[i] ?? 0) - named.reduce((n, s) => n + (s.instances[i] ?? 0), 0))
  );
  if (other.some((n) => n > 0)) named.push({ label: "other", instances: other });
  return named;
}
