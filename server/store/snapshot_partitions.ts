/**
 * Upkeep of the raw snapshot table: a partition per day made ahead of time,
 * and whole partitions dropped once they are older than the retention window.
 */

import { type Database, sql } from "./drivers/database.ts";

/** Advisory lock key held while one server does the upkeep ("shm" + "keep"); retention takes it too. */
export const MAINTENANCE_LOCK_KEY = 73_687_753_301;

/** What one round of upkeep did. */
export interface MaintenanceReport {
  /** False when another server held the lock, so this one did nothing. */
  readonly ran: boolean;
  readonly partitionsCreated: string[];
  readonly partitionsDropped: string[];
  /** Rows removed from the default partition (snapshots that arrived on a day without a partition). */
  readonly strayRowsDeleted: number;
}

/**
 * Makes sure the partitions for `today` and the next `daysAhead` days exist and
 * drops those whose day is older than `retentionDays` before `today`, unless
 * another server is doing the same right now. Never waits long for a lock that
 * ingestion holds.
 */
export async function maintainSnapshots(
  db: Database,
  options: { today: Date; retentionDays: number; daysAhead?: number },
): Promise<MaintenanceReport> {
  const today = utcDay(options.today);
  const cutoff = addDays(today, -options.retentionDays);
  return await db.transaction(async (tx) => {
    const [lock] = await tx.query<{ locked: boolean }>(
      sql`select pg_try_advisory_xact_lock(${MAINTENANCE_LOCK_KEY}::bigint) as locked`,
    );
    if (!lock?.locked) {
      return { ran: false, partitionsCreated: [], partitionsDropped: [], strayRowsDeleted: 0 };
    }
    await tx.execScript("set local lock_timeout = '5s'");
    const existing = new Set(await listPartitions(tx));
    const created: string[] = [];
    for (let i = 0; i <= (options.daysAhead ?? 2); i++) {
      const day = addDays(today, i);
      const name = partitionName(day);
      if (existing.has(name)) continue;
      const [stray] = await tx.query<{ n: number }>(sql`
        select count(*)::int as n from snapshots_default
        where received_at >= ${utcMidnight(day)}::timestamptz
          and received_at < ${utcMidnight(addDays(day, 1))}::timestamptz`);
      // A day whose rows already sit in the default partition keeps them there.
      if ((stray?.n ?? 0) > 0) continue;
      await tx.execScript(
        `create table ${name} partition of snapshots ` +
          `for values from ('${utcMidnight(day)}') to ('${utcMidnight(addDays(day, 1))}')`,
      );
      created.push(name);
    }
    const dropped: string[] = [];
    for (const name of existing) {
      const day = partitionDay(name);
      if (day !== null && addDays(day, 1) <= cutoff) {
        await tx.execScript(`drop table ${name}`);
        dropped.push(name);
      }
    }
    const deleted = await tx.query(
      sql`delete from snapshots_default where received_at < ${utcMidnight(cutoff)}::timestamptz
        returning 1`,
    );
    return {
      ran: true,
      partitionsCreated: created,
      partitionsDropped: dropped,
      strayRowsDeleted: deleted.length,
    };
  });
}

async function listPartitions(db: Database): Promise<string[]> {
  const rows = await db.query<{ name: string }>(sql`
    select c.relname as name from pg_inherits i
    join pg_class c on c.oid = i.inhrelid
    where i.inhparent = 'snapshots'::regclass and c.relname ~ '^snapshots_p[0-9]{8}$'`);
  return rows.map((row) => row.name);
}

function partitionName(day: Date): string {
  return `snapshots_p${isoDay(day).replaceAll("-", "")}`;
}

function partitionDay(name: string): Date | null {
  const match = /^snapshots_p(\d{4})(\d{2})(\d{2})$/.exec(name);
  return match ? new Date(`${match[1]}-${match[2]}-${match[3]}T00:00:00Z`) : null;
}

function utcDay(date: Date): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
}

function addDays(day: Date, days: number): Date {
  return new Date(day.getTime() + days * 86_400_000);
}

function isoDay(day: Date): string {
  return day.toISOString().slice(0, 10);
}

/** The first instant of a UTC day, written so that no session time zone can shift it. */
function utcMidnight(day: Date): string {
  return `${isoDay(day)}T00:00:00Z`;
}
