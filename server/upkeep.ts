/**
 * The server's background work: raw snapshot partitions made ahead and
 * dropped when old (hourly), and the daily rollups brought up to date (every
 * `rollupIntervalMs`). Each round runs under an advisory lock, so replicas
 * take turns; a failed round is logged and tried again at the next tick.
 */

import type { Config } from "./config.ts";
import type { Logger } from "./log.ts";
import { type Database, maintainSnapshots, refreshRollups } from "./store/mod.ts";

/** How often the raw snapshot upkeep runs. */
const SNAPSHOT_UPKEEP_INTERVAL_MS = 60 * 60_000;

/** Background work that is running; `stop` waits for a round in progress. */
export interface Upkeep {
  stop(): Promise<void>;
}

/**
 * Runs the snapshot upkeep once now (so today's partition exists before the
 * first request), then starts both timers. The first rollup round starts at
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
  const rollups = repeat(
    config.rollupIntervalMs,
    stopping.signal,
    () => upkeepRollups(db, config, log, stopping.signal),
    { now: true },
  );
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

async function upkeepRollups(
  db: Database,
  config: Config,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  const started = performance.now();
  try {
    const report = await refreshRollups(db, {
      now: new Date(),
      windowDays: config.activeDays,
      signal,
    });
    // Today and yesterday per application are the usual round; more is worth a line.
    if (report.daysComputed > 2 * 10) {
      log.info("daily rollups computed", {
        days: report.daysComputed,
        ms: Math.round(performance.now() - started),
      });
    }
  } catch (error) {
    if (!signal.aborted) log.warn("daily rollups failed; will retry", { error });
  }
}

/**
 * Calls `round` every `intervalMs` (first after one interval, or at once with
 * `now`), never two at a time, until `signal` aborts; resolves when the loop
 * has ended. The timers do not keep the process alive.
 */
async function repeat(
  intervalMs: number,
  signal: AbortSignal,
  round: () => Promise<void>,
  options: { now?: boolean } = {},
): Promise<void> {
  let first = options.now === true;
  while (!signal.aborted) {
    if (!first) await sleep(intervalMs, signal);
    first = false;
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
