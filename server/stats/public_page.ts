/**
 * The figures of an application's public stats page (`/p/{slug}`), read from
 * the daily rollups only (never its instances), with the privacy rules
 * applied here: no instance id or per-instance row; a count of 1 to k-1
 * instances (k: `SHM_BADGE_MIN_INSTANCES`) is never given exactly, a value
 * held by fewer than k instances folds into "other", a metric reported by
 * fewer than k instances is left out, and so is a metric key sent by fewer.
 */

import {
  type AppDayMetricRow,
  appDayMetricRows,
  appDayRows,
  type AppDayShareRow,
  appDayShareRows,
  type Application,
  appMetricKeyFacts,
  findPublicPageApplication,
  type MetricKeyFacts,
  publicPageApplications,
  savePublicPages,
  type StoredPublicPage,
} from "../store/mod.ts";
import type { BadgeContext } from "./badges.ts";

/** How many days the public page covers, ending today. */
export const PUBLIC_PAGE_DAYS = 90;

const DAY_MS = 86_400_000;

/**
 * A count as the public page gives it: the number, or null when it is 1 to
 * k-1 ("fewer than k"). Zero stays zero: it names no instance.
 */
export type GuardedCount = number | null;

/** One value of a field on the newest day, and its share of the instances that reported. */
export interface PublicShare {
  /** The value; "other" holds every value with fewer than k instances and those not kept. */
  readonly label: string;
  readonly instances: GuardedCount;
  /** Share of the day's reporting instances, 0 to 1; null with `instances`. */
  readonly share: number | null;
}

/** One value of a field over the days (e.g. a version's adoption). */
export interface PublicSeries {
  readonly label: string;
  /** Instances per day; null where the day's count was 1 to k-1. */
  readonly instances: GuardedCount[];
}

/** A chosen numeric metric over the instances that reported it as a number on the newest day. */
export interface PublicMetric {
  readonly name: string;
  readonly instances: number;
  readonly sum: number | null;
  readonly average: number | null;
  /** The rollup's 50th percentile. */
  readonly median: number | null;
}

/** The kind of values a metric key was sent with. */
export type MetricKind = "number" | "text" | "boolean";

/** A metric key the server received over the period, and the kinds of its values. */
export interface SentKey {
  readonly name: string;
  readonly kinds: readonly MetricKind[];
}

/** The system keys the SDKs send with every snapshot, and what each one says. */
export const SYSTEM_KEYS: readonly { readonly name: string; readonly meaning: string }[] = [
  { name: "sys_os", meaning: "the operating system family (linux, darwin, windows…)" },
  { name: "sys_arch", meaning: "the processor architecture (x64, arm64…)" },
  { name: "sys_cpu_cores", meaning: "how many processor cores the machine offers" },
  {
    name: "sys_mode",
    meaning: "how the application is deployed (docker, kubernetes, standalone…)",
  },
  { name: "sys_runtime", meaning: "the JavaScript runtime that runs it (node, deno, bun)" },
  { name: "sys_runtime_version", meaning: "that runtime's version" },
  {
    name: "sys_node_version",
    meaning: "the Node.js version (sent by the original SDK instead of sys_runtime)",
  },
];

/** An application's public figures. */
export interface PublicPageFigures {
  readonly kind: "found";
  readonly slug: string;
  readonly name: string;
  /** k: no exact count below it is given. */
  readonly minInstances: number;
  /** The days covered (YYYY-MM-DD, UTC), oldest first, ending today. */
  readonly days: string[];
  /** Each day's start, in seconds since the epoch (for charts). */
  readonly dayStarts: number[];
  /** Active instances on each day (null: 1 to k-1). */
  readonly active: GuardedCount[];
  /** The newest day with reports, whose shares and metrics are shown; null with none. */
  readonly latestDay: string | null;
  /** Active instances on the newest day with reports. */
  readonly activeNow: GuardedCount;
  /** When the newest day's rollup was computed; null before the first. */
  readonly computedAt: Date | null;
  readonly versions: PublicShare[];
  /** Instances per version and day, versions with fewer than k in "other" that day. */
  readonly versionAdoption: PublicSeries[];
  /** Operating system and architecture. */
  readonly platforms: PublicShare[];
  /** `sys_runtime`, the original SDK's `sys_node_version` counted as node. */
  readonly runtimes: PublicShare[];
  readonly deploymentModes: PublicShare[];
  /** The owner's chosen metrics, in their order, those reported by fewer than k left out. */
  readonly metrics: PublicMetric[];
  /** Metric keys sent by at least k instances on some day of the period, by name. */
  readonly sentKeys: SentKey[];
  /** How many other keys were sent, each by fewer than k instances on every day. */
  readonly rareKeys: number;
}

/** No public page: the application is unknown or its owner has not turned the page on. */
export interface NoPublicPage {
  readonly kind: "hidden";
}

const HIDDEN: NoPublicPage = Object.freeze({ kind: "hidden" });

/** What {@linkcode refreshPublicPages} and the page need: the store, the clock and k. */
export type PublicPageContext = Pick<BadgeContext, "db" | "now" | "minInstances">;

/**
 * The public figures of application `slug` as of now, over the last 90 days
 * of rollups; `hidden` when no application has that slug or its public page
 * is off (the two cannot be told apart). One statement reads the application
 * and the figures the upkeep stored for it ({@linkcode refreshPublicPages});
 * when they were computed for other settings (k, name, chosen metrics,
 * excluded environments) or before today, or none are stored, the figures are
 * computed from the rollups at once (through `ctx.cache`), so a change of
 * settings shows on the next request. Whether the page is on is read on every
 * call, so that turning it off takes effect at once.
 */
export async function publicPageFigures(
  ctx: BadgeContext,
  slug: string,
): Promise<PublicPageFigures | NoPublicPage> {
  const found = await findPublicPageApplication(ctx.db, slug);
  if (found === null || !found.app.publicPage) return HIDDEN;
  const { app, stored } = found;
  const inputs = figureInputs(app, ctx);
  if (stored !== null && stored.inputs === inputs) return storedFigures(stored);
  return await ctx.cache.get(
    `public|${inputs}`,
    ctx.now().getTime(),
    () => computeFigures(ctx, app),
  );
}

/**
 * Computes the public figures of every application whose page is on, as of
 * `ctx.now()`, from the rollups, and stores them (removing those of
 * applications whose page was turned off); returns how many were stored. The
 * rollup upkeep calls it after each round, so the stored figures are those
 * of the rollups just written.
 */
export async function refreshPublicPages(ctx: PublicPageContext): Promise<number> {
  const apps = await publicPageApplications(ctx.db);
  const pages = [];
  for (const app of apps) {
    const figures = await computeFigures(ctx, app);
    pages.push({
      appId: app.id,
      inputs: figureInputs(app, ctx),
      computedAt: ctx.now(),
      figures: JSON.stringify(figures),
    });
  }
  await savePublicPages(ctx.db, pages);
  return pages.length;
}

/**
 * Everything the figures of `app` depend on besides the rollups: the day they
 * end on, k, and the application's settings that shape them. Stored figures
 * serve a request only when its inputs are the same.
 */
function figureInputs(app: Application, ctx: Pick<PublicPageContext, "now" | "minInstances">) {
  return JSON.stringify([
    new Date(ctx.now().getTime()).toISOString().slice(0, 10),
    ctx.minInstances,
    app.slug,
    app.name,
    app.publicMetrics,
    app.excludedEnvironments,
  ]);
}

/** Stored figures as computed: JSON gives back everything but the date. */
function storedFigures(stored: StoredPublicPage): PublicPageFigures {
  const figures = JSON.parse(stored.figures) as Omit<PublicPageFigures, "computedAt"> & {
    computedAt: string | null;
  };
  return {
    ...figures,
    computedAt: figures.computedAt === null ? null : new Date(figures.computedAt),
  };
}

async function computeFigures(
  ctx: PublicPageContext,
  app: Application,
): Promise<PublicPageFigures> {
  const k = ctx.minInstances;
  const todayMs = Math.floor(ctx.now().getTime() / DAY_MS) * DAY_MS;
  const dayStartsMs = Array.from(
    { length: PUBLIC_PAGE_DAYS },
    (_, i) => todayMs - (PUBLIC_PAGE_DAYS - 1 - i) * DAY_MS,
  );
  const days = dayStartsMs.map((ms) => new Date(ms).toISOString().slice(0, 10));
  // Instances of the application's excluded environments are left out of public numbers.
  const range = {
    appId: app.id,
    scope: "counted" as const,
    fromDay: days[0]!,
    toDay: days.at(-1)!,
  };
  // Narrow reads: the period's versions only, every share and metric of the newest day only, and
  // one row per metric key for "what it sends", aggregated by the database.
  const dayRows = await appDayRows(ctx.db, range);
  const latest = dayRows.findLast((row) => row.reporting > 0) ?? null;
  const newestDay = { ...range, fromDay: latest?.day ?? range.toDay, toDay: latest?.day ?? "" };
  const [versionRows, latestShares, latestMetrics, keyFacts] = await Promise.all([
    appDayShareRows(ctx.db, { ...range, fields: ["version"] }),
    latest === null ? [] : appDayShareRows(ctx.db, newestDay),
    latest === null ? [] : appDayMetricRows(ctx.db, newestDay),
    appMetricKeyFacts(ctx.db, range),
  ]);
  const guard = (n: number): GuardedCount => (n > 0 && n < k ? null : n);
  const byDay = new Map(dayRows.map((row) => [row.day, row]));
  const field = (name: string) => latestShares.filter((row) => row.field === name);
  const reporting = latest?.reporting ?? 0;

  return {
    kind: "found",
    slug: app.slug,
    name: app.name,
    minInstances: k,
    days,
    dayStarts: dayStartsMs.map((ms) => ms / 1000),
    active: days.map((day) => guard(byDay.get(day)?.active ?? 0)),
    latestDay: latest?.day ?? null,
    activeNow: guard(latest?.active ?? 0),
    computedAt: latest === null ? null : new Date(latest.computedAt),
    versions: foldShares(field("version"), { total: reporting, k }),
    versionAdoption: adoption(versionRows, {
      days,
      totals: days.map((day) => byDay.get(day)?.reporting ?? 0),
      k,
    }),
    platforms: foldShares(field("os_arch"), { total: reporting, k }),
    runtimes: foldShares(runtimeRows(latestShares), { total: reporting, k }),
    deploymentModes: foldShares(field("deployment_mode"), { total: reporting, k }),
    metrics: chosenMetrics(latestMetrics, { chosen: app.publicMetrics, k }),
    ...sentKeys(keyFacts, k),
  };
}

/**
 * The runtime of each instance of a day: its `sys_runtime`, or `node` when it
 * sent the original Node.js SDK's `sys_node_version` instead (as the
 * application page counts it).
 */
function runtimeRows(rows: readonly AppDayShareRow[]): AppDayShareRow[] {
  const runtimes = rows.filter((row) => row.field === "metric:sys_runtime");
  const node = rows.filter((row) => row.field === "metric:sys_node_version" && row.value !== null)
    .reduce((n, row) => n + row.instances, 0);
  if (node === 0) return runtimes;
  return [...runtimes, { day: "", field: "metric:sys_runtime", value: "node", instances: node }];
}

/**
 * The values of one field with at least `k` instances by name, largest first;
 * the rest (values with fewer, and instances of `total` the rows leave out)
 * as "other", given exactly only when it holds `k` or more.
 */
export function foldShares(
  rows: readonly AppDayShareRow[],
  options: { total: number; k: number },
): PublicShare[] {
  const { total, k } = options;
  const counts = new Map<string, number>();
  for (const row of rows) {
    const label = row.value ?? "unknown";
    counts.set(label, (counts.get(label) ?? 0) + row.instances);
  }
  const named = [...counts].filter(([label, n]) => n >= k && n > 0 && label !== "other")
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const shares: PublicShare[] = named.map(([label, instances]) => ({
    label,
    instances,
    share: total > 0 ? instances / total : null,
  }));
  const other = Math.max(0, total - named.reduce((n, [, count]) => n + count, 0));
  if (other > 0) {
    shares.push(
      other >= k
        ? { label: "other", instances: other, share: other / total }
        : { label: "other", instances: null, share: null },
    );
  }
  return shares;
}

/**
 * Instances per value and day: each day, a value with fewer than `k`
 * instances folds into "other"; a value is a series when it reached `k` on
 * some day. "other" is null on a day it holds 1 to k-1.
 */
function adoption(
  rows: readonly AppDayShareRow[],
  options: { days: readonly string[]; totals: readonly number[]; k: number },
): PublicSeries[] {
  const { days, totals, k } = options;
  const index = new Map(days.map((day, i) => [day, i]));
  const byValue = new Map<string, number[]>();
  for (const row of rows) {
    const i = index.get(row.day);
    if (i === undefined || row.instances < k || row.instances === 0) continue;
    const label = row.value ?? "unknown";
    const series = byValue.get(label) ?? days.map(() => 0);
    series[i] = (series[i] ?? 0) + row.instances;
    byValue.set(label, series);
  }
  const total = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const series: PublicSeries[] = [...byValue].sort((a, b) => total(b[1]) - total(a[1]))
    .map(([label, instances]) => ({ label, instances }));
  const other = days.map((_, i) => {
    const n = Math.max(0, (totals[i] ?? 0) - series.reduce((s, v) => s + (v.instances[i] ?? 0), 0));
    return n > 0 && n < k ? null : n;
  });
  if (other.some((n) => n !== 0)) series.push({ label: "other", instances: other });
  return series;
}

/** The chosen metrics of the newest day, in the owner's order, each over at least `k` numbers. */
function chosenMetrics(
  rows: readonly AppDayMetricRow[],
  options: { chosen: readonly string[]; k: number },
): PublicMetric[] {
  const byName = new Map(rows.map((row) => [row.metric, row]));
  return options.chosen.flatMap((name) => {
    const row = byName.get(name);
    if (row === undefined || row.numbers === 0 || row.numbers < options.k) return [];
    return [{
      name,
      instances: row.numbers,
      sum: row.sum,
      average: row.sum === null ? null : row.sum / row.numbers,
      median: row.p50,
    }];
  });
}

/**
 * The metric keys sent over the period by at least `k` instances on some day,
 * with their kinds: number when some instance sent a number, boolean or text
 * for the others (boolean when every kept value was true or false).
 */
function sentKeys(
  facts: readonly MetricKeyFacts[],
  k: number,
): { sentKeys: SentKey[]; rareKeys: number } {
  const listed = facts.filter((key) => key.most >= k && key.most > 0);
  return {
    sentKeys: listed.map((key) => {
      const kinds: MetricKind[] = key.numbers ? ["number"] : [];
      if (key.others) kinds.push(key.boolean ? "boolean" : "text");
      return { name: key.metric, kinds };
    }),
    rareKeys: facts.length - listed.length,
  };
}
