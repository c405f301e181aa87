/**
 * An application's summary computed again in TypeScript from its instances'
 * rows, so that tests can compare it with what the upkeep keeps from changes
 * (`server/store/rollups/app_summaries.ts`). Written from the definitions:
 * each figure is the set it names, filtered one instance at a time.
 */

import { type Database, type RollupScope, sql } from "../../server/store/mod.ts";
import {
  FILTER_VALUES_KEPT,
  SUMMARY_BREAKDOWNS,
  SUMMARY_METRICS_KEPT,
  SUMMARY_VALUES_KEPT,
  type SummaryFigures,
} from "../../server/store/rollups/app_summaries.ts";

/** One instance's row as the summary reads it. */
interface InstanceRow {
  readonly status: string;
  readonly lastSeen: Date;
  readonly app_version: string;
  readonly os_arch: string | null;
  readonly environment: string | null;
  readonly deployment_mode: string | null;
  readonly metrics: Record<string, unknown>;
}

/** The summary figures (without `computedAt`) of application `appId` in `scope` as of `now`. */
export async function expectedSummary(
  db: Database,
  options: {
    appId: number;
    scope: RollupScope;
    excluded: readonly string[];
    now: Date;
    windowDays: number;
  },
): Promise<Omit<SummaryFigures, "computedAt">> {
  const rows = await db.query<InstanceRow>(sql`
    select status, last_seen as "lastSeen", app_version, os_arch, environment, deployment_mode,
      metrics
    from instances where app_id = ${options.appId}`);
  const inScope = rows.filter((row) =>
    options.scope === "all" || row.environment === null ||
    !options.excluded.includes(row.environment.trim().toLowerCase())
  );
  const since = options.now.getTime() - options.windowDays * 86_400_000;
  const active = inScope.filter((row) =>
    row.status === "active" && row.lastSeen.getTime() >= since
  );
  const breakdowns = Object.fromEntries(SUMMARY_BREAKDOWNS.map((field) => {
    const counts = new Map<string | null, number>();
    for (const row of active) counts.set(row[field], (counts.get(row[field]) ?? 0) + 1);
    const ranked = [...counts.entries()].sort(([va, na], [vb, nb]) =>
      nb - na || descendingNullsLast(va, vb)
    );
    return [
      field,
      ranked.slice(0, SUMMARY_VALUES_KEPT).map(([value, instances]) => ({ value, instances })),
    ];
  })) as unknown as SummaryFigures["breakdowns"];
  const numbers = new Map<string, number[]>();
  for (const row of active) {
    for (const [key, value] of Object.entries(row.metrics)) {
      if (typeof value !== "number") continue;
      numbers.set(key, [...(numbers.get(key) ?? []), value]);
    }
  }
  const metrics = Object.fromEntries(
    [...numbers.entries()]
      .sort(([ka, a], [kb, b]) => b.length - a.length || (ka < kb ? -1 : 1))
      .slice(0, SUMMARY_METRICS_KEPT)
      .map(([key, values]) => {
        const sum = values.reduce((s, v) => s + v, 0);
        return [key, {
          instances: values.length,
          sum,
          avg: sum / values.length,
          min: Math.min(...values),
          max: Math.max(...values),
        }];
      }),
  );
  const distinct = (values: (string | null)[]) =>
    [...new Set(values.filter((v): v is string => v !== null))].sort((a, b) => a < b ? -1 : 1)
      .slice(0, FILTER_VALUES_KEPT);
  const seen = inScope.map((row) => row.lastSeen.getTime());
  return {
    instances: inScope.length,
    active: active.length,
    pending: inScope.filter((row) => row.status === "pending").length,
    revoked: inScope.filter((row) => row.status === "revoked").length,
    lastSeen: seen.length === 0 ? null : new Date(Math.max(...seen)),
    breakdowns,
    metrics,
    filterValues: {
      versions: distinct(inScope.map((row) => row.app_version)),
      environments: distinct(inScope.map((row) => row.environment)),
    },
  };
}

/** Highest first, bytewise, a null value last (PostgreSQL's `desc nulls last` in "C"). */
function descendingNullsLast(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? 1 : -1;
}
