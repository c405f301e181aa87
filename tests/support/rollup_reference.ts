/**
 * The daily rollups computed again in TypeScript, from a plain list of
 * instance-day facts, so that tests can compare them with what
 * `server/store/rollups/rollups.ts` stores. Written from the definitions, not from
 * the SQL: each count is the set it names, filtered one instance at a time.
 */

import type { AppDayMetricRow, AppDayRow, AppDayShareRow } from "../../server/store/mod.ts";

/** One instance's last state on one UTC day, as `instance_days` holds it. */
export interface InstanceDayFact {
  readonly instanceId: string;
  /** YYYY-MM-DD. */
  readonly day: string;
  readonly version: string;
  readonly osArch: string | null;
  readonly deploymentMode: string | null;
  readonly environment: string | null;
  readonly metrics: Readonly<Record<string, string | number | boolean>>;
  readonly snapshots: number;
}

/** The counts of one day, as `appDayRows` answers them (without `computedAt`). */
export type ExpectedAppDay = Omit<AppDayRow, "computedAt">;

/** One kept share, as `appDayShareRows` answers it. */
export type ExpectedShare = AppDayShareRow;

/** One metric's figures, as `appDayMetricRows` answers them. */
export type ExpectedMetric = AppDayMetricRow;

const DAY_MS = 86_400_000;

/** The day `offset` days after `day` (YYYY-MM-DD, UTC). */
export function addDays(day: string, offset: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + offset * DAY_MS).toISOString().slice(0, 10);
}

/** Every day from `fromDay` to `toDay`, both included. */
export function daysBetween(fromDay: string, toDay: string): string[] {
  const days: string[] = [];
  for (let day = fromDay; day <= toDay; day = addDays(day, 1)) days.push(day);
  return days;
}

/** The counts of every day from `fromDay` to `toDay` for one application's facts. */
export function expectedAppDays(
  facts: readonly InstanceDayFact[],
  options: { fromDay: string; toDay: string; windowDays: number },
): ExpectedAppDay[] {
  const w = options.windowDays;
  const daysOf = new Map<string, Set<string>>();
  for (const fact of facts) {
    const days = daysOf.get(fact.instanceId) ?? new Set<string>();
    days.add(fact.day);
    daysOf.set(fact.instanceId, days);
  }
  const instances = [...daysOf.entries()];
  const count = (test: (days: readonly string[]) => boolean) =>
    instances.filter(([, days]) => test([...days])).length;
  return daysBetween(options.fromDay, options.toDay).map((d) => {
    const windowStart = addDays(d, -w);
    const on = (days: readonly string[], day: string) => days.includes(day);
    const any = (days: readonly string[], from: string, to: string) =>
      days.some((x) => x >= from && x <= to);
    return {
      day: d,
      windowDays: w,
      reporting: count((days) => on(days, d)),
      active: count((days) => any(days, addDays(d, -w + 1), d)),
      new: count((days) => on(days, d) && !days.some((x) => x < d)),
      returned: count((days) =>
        on(days, d) && !any(days, windowStart, addDays(d, -1)) &&
        days.some((x) => x < windowStart)
      ),
      gone: count((days) => on(days, windowStart) && !any(days, addDays(d, -w + 1), d)),
      snapshots: facts.filter((f) => f.day === d).reduce((sum, f) => sum + f.snapshots, 0),
    };
  });
}

/** How many values of one field a day keeps. */
export const KEPT_PER_FIELD = 25;

/**
 * The kept shares of one day: per field, the values ranked by instances
 * (most first), ties by value (a null value last, as PostgreSQL sorts it).
 */
export function expectedShares(facts: readonly InstanceDayFact[], day: string): ExpectedShare[] {
  const counts = new Map<string, Map<string | null, number>>();
  const add = (field: string, value: string | null) => {
    const values = counts.get(field) ?? new Map<string | null, number>();
    values.set(value, (values.get(value) ?? 0) + 1);
    counts.set(field, values);
  };
  for (const fact of facts.filter((f) => f.day === day)) {
    add("version", fact.version);
    add("os_arch", fact.osArch);
    add("deployment_mode", fact.deploymentMode);
    add("environment", fact.environment);
    for (const [key, value] of Object.entries(fact.metrics)) {
      if (typeof value !== "number") add(`metric:${key}`, String(value));
    }
  }
  const shares: ExpectedShare[] = [];
  for (const [field, values] of counts) {
    const ranked = [...values.entries()].sort(([va, na], [vb, nb]) =>
      nb - na || compareNullsLast(va, vb)
    );
    for (const [value, instances] of ranked.slice(0, KEPT_PER_FIELD)) {
      shares.push({ day, field, value, instances });
    }
  }
  return shares;
}

/** Every metric key's figures on one day. */
export function expectedMetrics(facts: readonly InstanceDayFact[], day: string): ExpectedMetric[] {
  const byKey = new Map<string, { instances: number; numbers: number[] }>();
  for (const fact of facts.filter((f) => f.day === day)) {
    for (const [key, value] of Object.entries(fact.metrics)) {
      const entry = byKey.get(key) ?? { instances: 0, numbers: [] };
      entry.instances += 1;
      if (typeof value === "number") entry.numbers.push(value);
      byKey.set(key, entry);
    }
  }
  return [...byKey.entries()].map(([metric, { instances, numbers }]) => {
    const sorted = [...numbers].sort((a, b) => a - b);
    const some = sorted.length > 0;
    return {
      day,
      metric,
      instances,
      numbers: sorted.length,
      sum: some ? sorted.reduce((s, n) => s + n, 0) : null,
      min: some ? sorted[0]! : null,
      max: some ? sorted[sorted.length - 1]! : null,
      p50: some ? percentileCont(sorted, 0.5) : null,
      p90: some ? percentileCont(sorted, 0.9) : null,
      p99: some ? percentileCont(sorted, 0.99) : null,
    };
  });
}

/** PostgreSQL's `percentile_cont` over sorted values: linear interpolation between neighbours. */
export function percentileCont(sorted: readonly number[], fraction: number): number {
  const position = fraction * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const lo = sorted[lower]!;
  const hi = sorted[upper]!;
  return lower === upper ? lo : lo + (position - lower) * (hi - lo);
}

function compareNullsLast(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}
