/**
 * The server's background work: raw snapshot partitions made ahead and
 * dropped when old (hourly), and the rollups (application summaries, hourly
 * and daily counts) brought up to date in rounds paced by their own cost, at
 * most `SHM_ROLLUP_INTERVAL` apart. Replicas take turns under advisory locks;
 * a failed round is logged and tried again at the next one.
 */

import type { Config } from "./config.ts";
import type { Logger } from "./log.ts";
import { type Database, maintainSnapshots, runRollupRound } from "./store/mod.ts";

/** How often the raw snapshot upkeep runs. */
const SNAPSHOT_UPKEEP_INTERVAL_MS = 60 * 60_000;

/** The shortest pause between two rollup rounds (unless SHM_ROLLUP_INTERVAL is shorter). */
const MIN_ROLLUP_PAUSE_MS = 15_000;

/** Background work that is running; `stop` waits for a round in progress. */
export interface Upkeep {
  stop(): Promise<void>;
}

/**
 * Runs the snapshot upkeep once now (so today's partition exists before the
 * first request), then starts both loops. The first rollup round starts at
 * once but is not awaited: after an upgrade it may compute months of days.
 */
export async function startUpkeep(db: Database, config: Config, log: Logger): Promise<Upkeep> {
  const stopping = new AbortController();
  await upkeepSnapshots(db, config, log);
  const snapshots = repeat(
    SNAPSHOT_UPKEEP_INTERVAL_MS,
    stopping.signal,
    () => upkeepSnapshots(db, config, log),
  );
  const rollups = (async () => {
    while (!stopping.signal.aborted) {
      const roundMs = await upkeepRollups(db, config, log, stopping.signal);
      await sleep(rollupPause(roundMs, config.rollupIntervalMs), stopping.signal);
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await Promise.all([snapshots, rollups]);
    },
  };
}

async function upkeepSnapshots(db: Database, config: Config, log: Logger): Promise<void> {
  try {
    const report = await maintainSnapshots(db, {
      today: new Date(),
      retentionDays: config.rawRetentionDays,
    });
    if (
      report.partitionsCreated.length || report.partitionsDropped.length ||
      report.strayRowsDeleted
    ) {
      log.info("snapshot upkeep", { ...report });
    }
  } catch (error) {
    log.warn("snapshot upkeep failed; will retry", { error });
  }
}

/** Runs one rollup round; resolves with how long it took, in milliseconds. */
async function upkeepRollups(
  db: Database,
  config: Config,
  log: Logger,
  signal: AbortSignal,
): Promise<number> {
  const started = performance.now();
  try {
    const report = await runRollupRound(db, {
      now: new Date(),
      windowDays: config.activeDays,
      signal,
    });
    // Today and yesterday of a few applications are the usual round; more is worth a line.
    if (report.daysComputed > 20) {
      log.info("daily rollups computed", {
        days: report.daysComputed,
        ms: Math.round(performance.now() - started),
      });
    }
  } catch (error) {
    if (!signal.aborted) log.warn("rollups failed; will retry", { error });
  }
  return performance.now() - started;
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
 * Calls `round` every `intervalMs`, the first after one interval, never two
 * at a time, until `signal` aborts; resolves when the loop has ended. The
 * timers do not keep the process alive.
 */
async function repeat(
  intervalMs: number,
  signal: AbortSignal,
  round: () => Promise<void>,
): Promise<void> {
  while (!signal.aborted) {
    await sleep(intervalMs, signal);
    if (signal.aborted) return;
    await round();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    Deno.unrefTimer(timer);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
