/**
 * Fills a store with the demo fleet: applications first, then instances with
 * their history in chunks of a few thousand rows, and raw snapshots for the
 * last days of the raw retention window, in partitions made beforehand.
 */

import {
  buildHistoryIndexes,
  type Database,
  dropHistoryIndexes,
  insertDemoDays,
  insertDemoInstances,
  insertDemoSnapshots,
  type Instance,
  type InstanceDay,
  maintainSnapshots,
  markRollupsStale,
  type RawSnapshot,
  upsertDemoApplications,
} from "../store/mod.ts";
import { runRollupRound } from "../upkeep/mod.ts";
import { type DemoOptions, generateInstance, planFleet } from "./demo_fleet.ts";

const DAY_MS = 86_400_000;
/** Rows per statement: large enough to amortise a round trip, small enough for the embedded store. */
const CHUNK_ROWS = 5_000;
/** Statements in flight at once (the embedded store runs them one by one anyway). */
const IN_FLIGHT = 4;
/** Raw snapshots are written for at most this many last days, fewer when retention is shorter. */
const RAW_DAYS = 2;

/** How far the seeding has come: instances written, then daily rollups computed. */
export type SeedProgress =
  | {
    readonly stage: "history";
    readonly instancesDone: number;
    readonly instances: number;
    readonly rows: number;
  }
  | { readonly stage: "rollups"; readonly daysDone: number; readonly days: number };

/** What was written. */
export interface SeedReport {
  readonly applications: number;
  readonly instances: number;
  readonly days: number;
  readonly snapshots: number;
  /** Application-days whose rollup was computed. */
  readonly rollupDays: number;
}

/**
 * Writes the fleet `options` describes into `db` (migrated), then computes
 * its summaries and rollups with the server's own upkeep for the active window
 * `activeDays`. Raw snapshots cover at most the last two days and never more
 * than `rawRetentionDays`. `onProgress` is called after each chunk and each
 * rollup day.
 */
export async function seedDemo(
  db: Database,
  options: DemoOptions & {
    rawRetentionDays: number;
    activeDays: number;
    onProgress?: (progress: SeedProgress) => void;
    /**
     * Into an empty history of a database no server uses (a bench's own): the history's primary
     * key and per-instance index are dropped during the load and built after it, which keeps a
     * million-instance seed from waiting on disk at every row. Throws when history exists.
     */
    deferIndexes?: boolean;
  },
): Promise<SeedReport> {
  const plan = planFleet(options);
  const nowMs = options.now.getTime();
  const rawDays = Math.min(RAW_DAYS, options.rawRetentionDays, options.days);
  const todayMs = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const rawSinceMs = todayMs - (rawDays - 1) * DAY_MS;
  // Partitions from the first raw day on, then the usual upkeep as of today.
  await maintainSnapshots(db, {
    today: new Date(rawSinceMs),
    retentionDays: options.rawRetentionDays,
    daysAhead: rawDays + 1,
  });
  await maintainSnapshots(db, { today: options.now, retentionDays: options.rawRetentionDays });

  const appIds = await upsertDemoApplications(db, plan.apps);
  const deferIndexes = options.deferIndexes === true;
  if (deferIndexes) await dropHistoryIndexes(db);
  const appId = (index: number) => appIds.get(plan.apps[index]!.slug)!;

  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | null = null;
  const send = async (write: Promise<unknown>) => {
    const done: Promise<void> = write.then(() => {}, (error) => {
      failure ??= { error };
    }).finally(() => inFlight.delete(done));
    inFlight.add(done);
    if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    if (failure !== null) throw failure.error;
  };

  let instances: Instance[] = [];
  let days: InstanceDay[] = [];
  let snapshots: RawSnapshot[] = [];
  const totals = { instances: 0, days: 0, snapshots: 0 };
  const flush = async (done: number) => {
    // Instances first: their application exists already; history rows refer to no key.
    await send(insertDemoInstances(db, instances));
    await send(insertDemoDays(db, days, { indexed: !deferIndexes }));
    await send(insertDemoSnapshots(db, snapshots));
    totals.instances += instances.length;
    totals.days += days.length;
    totals.snapshots += snapshots.length;
    instances = [];
    days = [];
    snapshots = [];
    options.onProgress?.({
      stage: "history",
      instancesDone: done,
      instances: options.instances,
      rows: totals.instances + totals.days + totals.snapshots,
    });
  };

  for (let index = 0; index < options.instances; index++) {
    const generated = generateInstance(plan, index);
    const id = appId(generated.instance.appIndex);
    instances.push({ ...generated.instance, appId: id });
    for (const day of generated.days) days.push({ ...day, appId: id });
    for (const snapshot of generated.snapshotsSince(rawSinceMs)) {
      snapshots.push({ ...snapshot, appId: id });
    }
    if (days.length >= CHUNK_ROWS || snapshots.length >= CHUNK_ROWS) await flush(index + 1);
  }
  await flush(options.instances);
  await Promise.all(inFlight);
  if (failure !== null) throw (failure as { error: unknown }).error;
  if (deferIndexes) await buildHistoryIndexes(db);

  // Days that held rollups before (a seed added with --force) are computed again.
  const firstDayMs = todayMs - (options.days - 1) * DAY_MS;
  await markRollupsStale(
    db,
    [...appIds.values()].flatMap((appId) =>
      Array.from({ length: options.days }, (_, i) => ({
        appId,
        day: new Date(firstDayMs + i * DAY_MS).toISOString().slice(0, 10),
      }))
    ),
  );
  const rollups = await runRollupRound(db, {
    now: options.now,
    windowDays: options.activeDays,
    onDay: (daysDone, days) => options.onProgress?.({ stage: "rollups", daysDone, days }),
  });
  return { applications: plan.apps.length, ...totals, rollupDays: rollups.daysComputed };
}
