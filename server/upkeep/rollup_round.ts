/**
 * One round of the rollup upkeep, and the pause before the next: what is
 * computed in a round and in which order (application summaries, hourly
 * counts, then daily rollups, each the store's), and how often rounds run.
 */

import { refreshPublicPages } from "../stats/mod.ts";
import {
  type Database,
  excludedEnvironmentsChanged,
  refreshHourlyActivity,
  refreshRollups,
  refreshSummaries,
  type RollupReport,
} from "../store/mod.ts";

/** The shortest pause between two rollup rounds (unless SHM_ROLLUP_INTERVAL is shorter). */
const MIN_ROLLUP_PAUSE_MS = 15_000;

/** How often a pause asks whether an application's excluded environments changed. */
const SETTINGS_POLL_MS = 2_000;

/** What one round of {@linkcode runRollupRound} did. */
export interface RollupRoundReport extends RollupReport {
  readonly summaries: number;
  readonly hoursCounted: number;
  /** Applications whose public page figures were stored (0 without `publicPages`). */
  readonly publicPages: number;
  /** How long each part of the round took, in milliseconds (for logs and benches). */
  readonly ms: {
    readonly summaries: number;
    readonly hours: number;
    readonly days: number;
    readonly publicPages: number;
  };
}

/**
 * One round of the rollup upkeep as of `now`: every application's summary
 * of its latest state, the hourly counts of the last day, then the daily
 * rollups (see `refreshRollups`), and, given `publicPages` (k), the public
 * page figures of the applications whose page is on, from the rollups just
 * written (skipped when another server ran the daily rollups).
 */
export async function runRollupRound(
  db: Database,
  options: Parameters<typeof refreshRollups>[1] & {
    readonly publicPages?: { readonly minInstances: number };
  },
): Promise<RollupRoundReport> {
  let started = performance.now();
  const lap = () => {
    const ms = performance.now() - started;
    started = performance.now();
    return ms;
  };
  const summaries = await refreshSummaries(db, options);
  const summariesMs = lap();
  const hoursCounted = await refreshHourlyActivity(db, options);
  const hoursMs = lap();
  const days = await refreshRollups(db, options);
  const daysMs = lap();
  const publicPages = options.publicPages === undefined || !days.ran
    ? 0
    : await refreshPublicPages({
      db,
      now: () => options.now,
      minInstances: options.publicPages.minInstances,
    });
  const ms = { summaries: summariesMs, hours: hoursMs, days: daysMs, publicPages: lap() };
  return { ...days, summaries, hoursCounted, publicPages, ms };
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

/**
 * Waits `pauseMs` before the next rollup round, or less: an operator who
 * changes an application's excluded environments (on any server of the
 * database) expects the figures to follow promptly, so the pause ends within
 * about two seconds of such a change. Resolves early when `signal` aborts; a
 * failed check is left to the round, which reports it.
 */
export async function pauseBeforeRound(
  db: Database,
  options: { pauseMs: number; signal: AbortSignal },
): Promise<void> {
  const until = performance.now() + options.pauseMs;
  while (!options.signal.aborted && performance.now() < until) {
    await sleep(Math.min(SETTINGS_POLL_MS, until - performance.now()), options.signal);
    if (options.signal.aborted) return;
    const changed = await excludedEnvironmentsChanged(db).catch(() => false);
    if (changed) return;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, Math.max(0, ms));
    Deno.unrefTimer(timer);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
