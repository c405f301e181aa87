/**
 * The server's background work: raw snapshot partitions made ahead and
 * dropped when old, then retention (old history, instances long unseen) in
 * bounded batches (hourly), and the rollups (application summaries, hourly
 * and daily counts) brought up to date in rounds paced by their own cost, at
 * most `SHM_ROLLUP_INTERVAL` apart. Replicas take turns under advisory locks;
 * a failed round is tried again at the next one. While the database is away
 * each job logs one warning, and one line when it works again; the store's
 * own outages and recoveries are logged here too, once each.
 */

import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { type Database, maintainSnapshots } from "../store/mod.ts";
import { upkeepAlerts, upkeepAlertsContext } from "./alert_upkeep.ts";
import { FailureStreak } from "./failure_streak.ts";
import { githubReadLoop } from "./github_reads.ts";
import { enforceRetention } from "./retention.ts";
import { pauseBeforeRound, rollupPause, runRollupRound } from "./rollup_round.ts";

/** How often the raw snapshot upkeep runs. */
const SNAPSHOT_UPKEEP_INTERVAL_MS = 60 * 60_000;

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
  const unwatch = db.onAvailabilityChange((change) => {
    if (change.available) {
      log.info("store available again", {
        unavailable_ms: change.unavailableMs,
        refused: change.refused,
      });
    } else log.warn("store unavailable: answering 503 until it is back", { cause: change.cause });
  });
  const snapshotStreak = new FailureStreak(log, "snapshot upkeep");
  const rollupStreak = new FailureStreak(log, "rollups");
  const retentionStreak = new FailureStreak(log, "retention");
  const alertStreak = new FailureStreak(log, "alerts");
  const alerts = upkeepAlertsContext(db, config);
  await upkeepSnapshots(db, config, snapshotStreak);
  const snapshots = (async () => {
    // Retention after the first partitions, not before the first request: it may take a while.
    await upkeepRetention(db, config, retentionStreak, stopping.signal);
    await repeat(SNAPSHOT_UPKEEP_INTERVAL_MS, stopping.signal, async () => {
      await upkeepSnapshots(db, config, snapshotStreak);
      await upkeepRetention(db, config, retentionStreak, stopping.signal);
    });
  })();
  const github = githubReadLoop(db, {
    config,
    streak: new FailureStreak(log, "github reads"),
    signal: stopping.signal,
  });
  const rollups = (async () => {
    while (!stopping.signal.aborted) {
      const roundMs = await upkeepRollups(db, config, rollupStreak, stopping.signal);
      // The alerts are judged on the summaries this round just wrote.
      await upkeepAlerts(alerts, { streak: alertStreak, signal: stopping.signal });
      await pauseBeforeRound(db, {
        pauseMs: rollupPause(roundMs, config.rollupIntervalMs),
        signal: stopping.signal,
      });
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await Promise.all([snapshots, rollups, github]);
      unwatch();
    },
  };
}

async function upkeepSnapshots(db: Database, config: Config, streak: FailureStreak): Promise<void> {
  try {
    const report = await maintainSnapshots(db, {
      today: new Date(),
      retentionDays: config.rawRetentionDays,
    });
    if (
      report.partitionsCreated.length || report.partitionsDropped.length ||
      report.strayRowsDeleted
    ) {
      streak.log.info("snapshot upkeep", { ...report });
    }
    streak.succeeded();
  } catch (error) {
    streak.failed(error);
  }
}

async function upkeepRetention(
  db: Database,
  config: Config,
  streak: FailureStreak,
  signal: AbortSignal,
): Promise<void> {
  try {
    const report = await enforceRetention(db, {
      now: new Date(),
      historyDays: config.historyRetentionDays,
      instanceDays: config.instanceRetentionDays,
      signal,
    });
    if (report.instancesRemoved || report.historyRowsRemoved) {
      streak.log.info("retention", {
        instances_removed: report.instancesRemoved,
        history_rows_removed: report.historyRowsRemoved,
      });
    }
    streak.succeeded();
  } catch (error) {
    if (!signal.aborted) streak.failed(error);
  }
}

/** Runs one rollup round; resolves with how long it took, in milliseconds. */
async function upkeepRollups(
  db: Database,
  config: Config,
  streak: FailureStreak,
  signal: AbortSignal,
): Promise<number> {
  const started = performance.now();
  try {
    const report = await runRollupRound(db, {
      now: new Date(),
      windowDays: config.activeDays,
      signal,
      publicPages: { minInstances: config.badgeMinInstances },
    });
    // Today and yesterday of a few applications are the usual round; more is worth a line.
    if (report.daysComputed > 20) {
      streak.log.info("daily rollups computed", {
        days: report.daysComputed,
        ms: Math.round(performance.now() - started),
      });
    }
    streak.succeeded();
  } catch (error) {
    if (!signal.aborted) streak.failed(error);
  }
  return performance.now() - started;
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
