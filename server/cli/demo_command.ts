/** `shm demo`: fills the configured store with a demo fleet, with a progress line. */

import type { Config } from "../config.ts";
import { seedDemo } from "../demo/seed_demo.ts";
import type { Logger } from "../log.ts";
import type { ShowProgress } from "./progress.ts";
import { StoreUnavailableError } from "../errors.ts";
import { countFleet, openMigratedStore } from "../store/mod.ts";

/** The flags of `shm demo`, as parsed from the command line (strings not yet checked). */
export interface DemoFlags {
  readonly instances?: string | undefined;
  readonly days?: string | undefined;
  readonly apps?: string | undefined;
  readonly seed?: string | undefined;
  readonly force?: boolean | undefined;
}

const LIMITS = {
  instances: { fallback: 1_500, min: 1, max: 10_000_000 },
  days: { fallback: 90, min: 1, max: 3_650 },
  apps: { fallback: 3, min: 1, max: 100 },
  seed: { fallback: 1, min: 0, max: 4_294_967_295 },
} as const;

/**
 * Seeds the store named by `config` (migrated first) and prints what was
 * written. Resolves with the exit code: 0 when done, 1 when the store already
 * holds instances and `--force` is not given or when another process (the
 * server) has the embedded store open, 2 for a malformed flag. Throws when the
 * store fails.
 */
export async function demoCommand(
  flags: DemoFlags,
  config: Config,
  io: {
    log: Logger;
    print: (line: string) => void;
    progress: ShowProgress;
  },
): Promise<number> {
  const numbers = { instances: 0, days: 0, apps: 0, seed: 0 };
  for (const name of Object.keys(LIMITS) as (keyof typeof LIMITS)[]) {
    const text = flags[name];
    const limit = LIMITS[name];
    const value = text === undefined ? limit.fallback : Number(text);
    if (!Number.isInteger(value) || value < limit.min || value > limit.max) {
      io.print(
        `shm: --${name} must be a whole number from ${limit.min} to ${limit.max}: "${text}"`,
      );
      return 2;
    }
    numbers[name] = value;
  }
  let opened;
  try {
    opened = await openMigratedStore(config.store);
  } catch (error) {
    if (!(error instanceof StoreUnavailableError) || config.store.kind !== "embedded") throw error;
    // The embedded store takes one process at a time, and that is most often the server.
    io.print(
      `shm: cannot fill the embedded store in ${config.store.dataDir} while another process ` +
        "(most likely the server: shm serve, deno task start) has it open: stop the server " +
        "first and run the demo again, or fill a PostgreSQL database with --database-url",
    );
    return 1;
  }
  const { db, applied } = opened;
  try {
    if (applied.length > 0) io.log.info("migrated", { applied });
    const now = new Date();
    const existing = await countFleet(db, now);
    if (existing.instances > 0 && !flags.force) {
      io.print(
        `shm: the store already holds ${existing.instances} instances; ` +
          "shm demo --force adds the demo fleet to them",
      );
      return 1;
    }
    const started = performance.now();
    let lastShown = -1;
    const report = await seedDemo(db, {
      ...numbers,
      now,
      rawRetentionDays: config.rawRetentionDays,
      activeDays: config.activeDays,
      onProgress: (progress) => {
        if (progress.stage === "rollups") {
          const { daysDone, days } = progress;
          io.progress(
            `daily rollups: ${daysDone} of ${days} app-days`,
            days === 0 ? 1 : daysDone / days,
          );
          return;
        }
        const { instancesDone, instances, rows } = progress;
        const percent = Math.floor((instancesDone / instances) * 100);
        if (percent === lastShown && instancesDone < instances) return;
        lastShown = percent;
        const seconds = (performance.now() - started) / 1000;
        io.progress(
          `seeding: ${percent}% · ${count(instancesDone)} of ${count(instances)} instances · ` +
            `${count(rows)} rows · ${count(rows / Math.max(seconds, 0.001))} rows/s`,
          instances === 0 ? 1 : instancesDone / instances,
        );
      },
    });
    const seconds = (performance.now() - started) / 1000;
    const rows = report.instances + report.days + report.snapshots;
    io.print(
      `demo: ${report.applications} applications, ${count(report.instances)} instances, ` +
        `${count(report.days)} instance-days, ${count(report.snapshots)} raw snapshots, ` +
        `${count(report.rollupDays)} daily rollups in ${seconds.toFixed(1)} s (${
          count(rows / seconds)
        } rows/s)`,
    );
    return 0;
  } finally {
    await db.close();
  }
}

function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
