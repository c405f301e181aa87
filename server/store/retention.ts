/**
 * Retention: per-day history older than a cutoff, and instances not seen
 * since a cutoff (with every row of them), removed in bounded batches, each
 * batch one short transaction under the upkeep's advisory lock (the one the
 * snapshot partitions' upkeep takes: one server at a time does either), so that a
 * large deletion never holds ingestion back for long.
 */

import { type Database, sql } from "./drivers/database.ts";
import { MAINTENANCE_LOCK_KEY } from "./snapshot_partitions.ts";

/** What one batch did: whether it ran (false: another server held the lock) and how many rows it removed. */
export interface RetentionBatch {
  readonly ran: boolean;
  readonly removed: number;
}

/**
 * Removes at most `limit` rows of per-day history whose day is before
 * `before` (a UTC day), with the stale marks of those days: their rollups
 * stay as they are (aggregates), and nothing is marked to be computed
 * again, as the rows are gone. Does nothing when another server holds the lock.
 */
export async function deleteHistoryBefore(
  db: Database,
  options: { before: Date; limit: number },
): Promise<RetentionBatch> {
  const day = isoDay(options.before);
  return await underLock(db, async (tx) => {
    const rows = await tx.query(sql`
      delete from instance_days d
      using (
        select app_id, day, instance_id from instance_days
        where day < ${day}::date limit ${options.limit}
      ) old
      where d.app_id = old.app_id and d.day = old.day and d.instance_id = old.instance_id
      returning 1`);
    await tx.query(sql`delete from rollup_stale where day < ${day}::date`);
    return rows.length;
  });
}

/**
 * Removes at most `limit` instances last seen before `lastSeenBefore`, each
 * with every row of it (raw snapshots, per-day history, the instance), as an
 * erase does; the days of their history from `historyFrom` on (those the
 * history retention keeps) are marked for the upkeep to compute again, older
 * ones are not. Does nothing when another server holds the lock.
 */
export async function deleteInstancesNotSeenSince(
  db: Database,
  options: { lastSeenBefore: Date; historyFrom: Date; limit: number },
): Promise<RetentionBatch> {
  return await underLock(db, async (tx) => {
    const gone = await tx.query<{ id: string }>(sql`
      select instance_id::text as id from instances
      where last_seen < ${options.lastSeenBefore}
      order by last_seen limit ${options.limit}
      for update skip locked`);
    if (gone.length === 0) return 0;
    const ids = gone.map((row) => row.id);
    await tx.query(sql`
      insert into rollup_stale (app_id, day)
      select distinct app_id, day from instance_days
      where instance_id = any(${ids}::uuid[]) and day >= ${isoDay(options.historyFrom)}::date
      on conflict (app_id, day) do update set mark = excluded.mark`);
    await tx.query(sql`delete from snapshots where instance_id = any(${ids}::uuid[])`);
    await tx.query(sql`delete from instance_days where instance_id = any(${ids}::uuid[])`);
    await tx.query(sql`delete from instances where instance_id = any(${ids}::uuid[])`);
    return ids.length;
  });
}

async function underLock(
  db: Database,
  work: (tx: Database) => Promise<number>,
): Promise<RetentionBatch> {
  return await db.transaction(async (tx) => {
    const [lock] = await tx.query<{ locked: boolean }>(
      sql`select pg_try_advisory_xact_lock(${MAINTENANCE_LOCK_KEY}::bigint) as locked`,
    );
    if (!lock?.locked) return { ran: false, removed: 0 };
    // A row ingestion holds is waited for briefly, never for long.
    await tx.execScript("set local lock_timeout = '5s'");
    return { ran: true, removed: await work(tx) };
  });
}

function isoDay(day: Date): string {
  return day.toISOString().slice(0, 10);
}
