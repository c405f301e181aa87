/**
 * Retention as the upkeep enforces it: instances not seen for
 * `SHM_INSTANCE_RETENTION_DAYS` go with every row of them, then per-day
 * history older than `SHM_HISTORY_RETENTION_DAYS` goes; both in batches of a
 * bounded size with a pause between them, so ingestion is never held back
 * for long. Raw snapshots' partitions are the partition upkeep's
 * (`maintainSnapshots`), kept no longer than the history.
 */

import { type Database, deleteHistoryBefore, deleteInstancesNotSeenSince } from "../store/mod.ts";

/** Rows (history) or instances removed by one batch, each its own short transaction. */
const BATCH_SIZE = 2_000;

/** The pause between two batches, so that other transactions run in between. */
const PAUSE_MS = 20;

/** What one round of retention removed; `ran` is false when another server held the lock. */
export interface RetentionReport {
  readonly ran: boolean;
  readonly instancesRemoved: number;
  readonly historyRowsRemoved: number;
}

/**
 * Removes, as of `now`, the instances last seen more than `instanceDays`
 * days ago (with their history and raw snapshots; the days of their history
 * that the history retention keeps are marked for the rollups), then the
 * per-day history of days more than `historyDays` days before today (UTC);
 * the rollups of those days stay. Stops between two batches when `signal`
 * aborts or another server holds the upkeep's lock.
 */
export async function enforceRetention(
  db: Database,
  options: {
    now: Date;
    historyDays: number;
    instanceDays: number;
    signal?: AbortSignal;
    /** Rows or instances a batch removes at most (tests make it small). */
    batchSize?: number;
  },
): Promise<RetentionReport> {
  const limit = options.batchSize ?? BATCH_SIZE;
  const historyFrom = utcDayBefore(options.now, options.historyDays);
  const lastSeenBefore = new Date(options.now.getTime() - options.instanceDays * 86_400_000);
  let instancesRemoved = 0;
  let historyRowsRemoved = 0;
  const batches = async (
    batch: () => ReturnType<typeof deleteHistoryBefore>,
    add: (removed: number) => void,
  ): Promise<boolean> => {
    for (;;) {
      if (options.signal?.aborted) return false;
      const done = await batch();
      if (!done.ran) return false;
      add(done.removed);
      if (done.removed < limit) return true;
      await new Promise((resolve) => setTimeout(resolve, PAUSE_MS));
    }
  };
  const ran = await batches(
    () => deleteInstancesNotSeenSince(db, { lastSeenBefore, historyFrom, limit }),
    (n) => instancesRemoved += n,
  ) && await batches(
    () => deleteHistoryBefore(db, { before: historyFrom, limit }),
    (n) => historyRowsRemoved += n,
  );
  return { ran, instancesRemoved, historyRowsRemoved };
}

/** The first UTC day kept: `days` days before `now`'s day. */
function utcDayBefore(now: Date, days: number): Date {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return new Date(today - days * 86_400_000);
}
