/** The numbers of the dashboard pages: one card per application, and activity over a period. */

import {
  type BucketActivityRow,
  dailyActivityByVersion,
  findApplication,
  hourlyActivityByVersion,
  listApplications,
  topVersionByApp,
} from "../store/mod.ts";
import { activeSince, type StatsContext } from "./context.ts";

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

/** How many versions a version chart shows by name; the rest are summed as "other". */
const NAMED_VERSIONS = 6;

/** One application's card on the overview. */
export interface ApplicationCard {
  readonly slug: string;
  readonly name: string;
  readonly activeInstances: number;
  readonly totalInstances: number;
  /** The most used version among active instances, or null with none active. */
  readonly topVersion: { readonly version: string; readonly instances: number } | null;
  readonly lastSeen: Date | null;
}

/** Every application, by slug, with what its overview card shows. */
export async function dashboardOverview(
  ctx: StatsContext,
): Promise<{ applications: ApplicationCard[]; activeDays: number }> {
  const since = activeSince(ctx);
  const [apps, tops] = await Promise.all([
    listApplications(ctx.db, { activeSince: since }),
    topVersionByApp(ctx.db, { activeSince: since }),
  ]);
  const topByApp = new Map(tops.map((row) => [row.appId, row]));
  return {
    activeDays: ctx.activeDays,
    applications: apps.map((app) => {
      const top = topByApp.get(app.id);
      return {
        slug: app.slug,
        name: app.name,
        activeInstances: app.active,
        totalInstances: app.instances,
        topVersion: top === undefined ? null : { version: top.version, instances: top.instances },
        lastSeen: app.lastSeen,
      };
    }),
  };
}

/** An application's activity over a period, bucket by bucket. */
export interface ApplicationActivity {
  readonly app: { readonly slug: string; readonly name: string };
  readonly period: DashboardPeriod;
  readonly step: "hour" | "day";
  /** Each bucket's start, in seconds since the epoch (UTC), oldest first. */
  readonly buckets: number[];
  /** Instances that reported in each bucket. */
  readonly reporting: number[];
  /** The same by version: the most used versions of the period by name, the rest as "other". */
  readonly versions: { readonly version: string; readonly instances: number[] }[];
}

/**
 * Returns how many instances of application `slug` reported in each hour
 * (period 24h, from raw snapshots) or UTC day (longer periods, from the
 * per-day history) up to now, in all and by version. Buckets without data
 * are zero. Null when the slug is unknown.
 */
export async function applicationActivity(
  ctx: StatsContext,
  slug: string,
  period: DashboardPeriod,
): Promise<ApplicationActivity | null> {
  const app = await findApplication(ctx.db, slug);
  if (app === null) return null;
  const { step, count } = PERIOD_BUCKETS[period];
  const stepMs = step === "hour" ? 3_600_000 : 86_400_000;
  const lastBucketMs = Math.floor(ctx.now().getTime() / stepMs) * stepMs;
  const firstBucketMs = lastBucketMs - (count - 1) * stepMs;
  const buckets = Array.from({ length: count }, (_, i) => (firstBucketMs + i * stepMs) / 1000);
  const rows = step === "hour"
    ? await hourlyActivityByVersion(ctx.db, { appId: app.id, since: new Date(firstBucketMs) })
    : await dailyActivityByVersion(ctx.db, {
      appId: app.id,
      fromDay: new Date(firstBucketMs).toISOString().slice(0, 10),
    });
  return {
    app: { slug: app.slug, name: app.name },
    period,
    step,
    buckets,
    ...spreadOverBuckets(rows, buckets),
  };
}

function spreadOverBuckets(
  rows: readonly BucketActivityRow[],
  buckets: readonly number[],
): Pick<ApplicationActivity, "reporting" | "versions"> {
  const index = new Map(buckets.map((at, i) => [at, i]));
  const reporting = buckets.map(() => 0);
  const byVersion = new Map<string, number[]>();
  for (const row of rows) {
    const i = index.get(row.at);
    if (i === undefined) continue;
    if (row.version === null) {
      reporting[i] = row.instances;
      continue;
    }
    const series = byVersion.get(row.version) ?? buckets.map(() => 0);
    series[i] = (series[i] ?? 0) + row.instances;
    byVersion.set(row.version, series);
  }
  const total = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const ranked = [...byVersion.entries()].sort((a, b) =>
    total(b[1]) - total(a[1]) || (a[0] < b[0] ? 1 : -1)
  );
  const named = ranked.slice(0, NAMED_VERSIONS).map(([version, instances]) => ({
    version,
    instances,
  }));
  const rest = ranked.slice(NAMED_VERSIONS);
  if (rest.length > 0) {
    named.push({
      version: "other",
      instances: buckets.map((_, i) => rest.reduce((sum, [, values]) => sum + (values[i] ?? 0), 0)),
    });
  }
  return { reporting, versions: named };
}
