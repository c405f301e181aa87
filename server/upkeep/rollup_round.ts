/**
 * One round of the rollup upkeep, and the pause before the next: what is
 * computed in a round and in which order (application summaries, hourly
 * counts, then daily rollups, each the store's), and how often rounds run.
 */

import {
  type Database,
  refreshHourlyActivity,
  refreshRollups,
  refreshSummaries,
  type RollupReport,
} from "../store/mod.ts";

/** The shortest pause between two rollup rounds (unless SHM_ROLLUP_INTERVAL is shorter). */
const MIN_ROLLUP_PAUSE_MS = 15_000;

/** What one round of {@linkcode runRollupRound} did. */
export interface RollupRoundReport extends RollupReport {
  readonly summaries: number;
  readonly hoursCounted: number;
}

/**
 * One round of the rollup upkeep as of `now`: every application's summary
 * of its latest state, the hourly counts of the last day, then the daily
 * rollups (see `refreshRollups`).
 */
export async function runRollupRound(
  db: Database,
  options: Parameters<typeof refreshRollups>[1],
): Promise<RollupRoundReport> {
  const summaries = await refreshSummaries(db, options);
  const hoursCounted = await refreshHourlyActivity(db, options);
  const days = await refreshRollups(db, options);
  return { ...days, summaries, hoursCounted };
}

/**
 * The pause after a rollup round that took `roundMs`: rounds take about a
 * tenth of the time, so a small fleet's figures are seconds old and a large
 * fleet's upkeep stays light, and never more than `SHM_ROLLUP_INTERVAL`.
 */
export function rollupPause(roundMs: number, intervalMs: number): number {
  const floor = Math.min(MIN_ROLLUP_PAUSE_MS, intervalMs);
  return Math.min(intervalMs, Math.max(floor, 9 * roundMs));
}
