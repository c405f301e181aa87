/**
 * Reads sent to a streaming standby (a read replica) while it keeps up, and
 * to the primary when it falls behind, stops answering, or was just written
 * through: the figures a page shows come from the standby, every write and
 * every transaction from the primary.
 */

import { type AvailabilityChange, type Database, sql, type SqlQuery } from "./database.ts";

/** Where reads go now, and why. */
export type ReadSource =
  | { readonly kind: "standby"; readonly lagMs: number }
  | { readonly kind: "primary"; readonly reason: string };

/** How reads are routed. */
export interface ReadRoutingOptions {
  /** Largest lag at which the standby still answers reads, in milliseconds. */
  readonly maxLagMs: number;
  /** How often the standby's lag is measured (default 1 s). */
  readonly checkEveryMs?: number;
  /** After a write through the routed database, reads go to the primary this long (default 5 s). */
  readonly primaryAfterWriteMs?: number;
  /** Called with the first measured source, then each time reads move to the other server. */
  readonly onSourceChange?: (source: ReadSource) => void;
}

/** A database whose reads may come from a standby. */
export interface RoutedDatabase extends Database {
  /** Where reads go now. */
  source(): ReadSource;
}

/** What every routed view of one pair shares: the lag measured last, and the writes seen. */
interface RoutingState {
  source: ReadSource;
  primaryUntil: number;
  readonly options: ReadRoutingOptions;
}

/** Longest a lag measurement may take; a standby that takes longer counts as not answering. */
const CHECK_DEADLINE_MS = 2_000;

/**
 * Routes the reads of `primary` to `standby`: a statement that begins with
 * `select` (and locks no row) goes to the standby while its measured lag is
 * within `maxLagMs`, else to the primary; a read the standby fails is run
 * again on the primary. Everything else (writes, scripts, transactions)
 * goes to the primary, and after a write reads go there for a few seconds,
 * so that a page shown after a form sees what the form changed. Closing it
 * closes the standby's pool, not the primary's; it is safe to call twice.
 */
export function routeReads(
  primary: Database,
  standby: Database,
  options: ReadRoutingOptions,
): RoutedDatabase {
  const state: RoutingState = {
    source: { kind: "primary", reason: "the read replica's lag is not measured yet" },
    primaryUntil: 0,
    options,
  };
  let closed = false;
  let measured = false;
  let checking: Promise<void> | null = null;
  const check = () => {
    checking ??= measureSource(primary, standby, options.maxLagMs).then((source) => {
      const moved = !measured || source.kind !== state.source.kind;
      measured = true;
      state.source = source;
      if (moved && !closed) options.onSourceChange?.(source);
    }).finally(() => checking = null);
    return checking;
  };
  const timer = setInterval(() => void check(), options.checkEveryMs ?? 1_000);
  Deno.unrefTimer(timer);
  void check();
  let closing: Promise<void> | null = null;
  return routedView(primary, standby, state, () =>
    closing ??= (async () => {
      closed = true;
      clearInterval(timer);
      await checking?.catch(() => {});
      await standby.close();
    })());
}

function routedView(
  primary: Database,
  standby: Database,
  state: RoutingState,
  close: () => Promise<void>,
): RoutedDatabase {
  const wrote = () => {
    state.primaryUntil = Date.now() + (state.options.primaryAfterWriteMs ?? 5_000);
  };
  return {
    kind: primary.kind,
    source: () => state.source,
    async query<Row>(query: SqlQuery): Promise<Row[]> {
      if (!isRead(query)) {
        try {
          return await primary.query<Row>(query);
        } finally {
          wrote();
        }
      }
      if (state.source.kind === "primary" || Date.now() < state.primaryUntil) {
        return await primary.query<Row>(query);
      }
      try {
        return await standby.query<Row>(query);
      } catch {
        // Gone, cancelled by a conflict with recovery, or anything else: the primary answers it.
        state.source = { kind: "primary", reason: "the read replica failed a read" };
        state.options.onSourceChange?.(state.source);
        return await primary.query<Row>(query);
      }
    },
    async execScript(script: string): Promise<void> {
      try {
        await primary.execScript(script);
      } finally {
        wrote();
      }
    },
    async transaction<T>(work: (tx: Database) => Promise<T>): Promise<T> {
      try {
        return await primary.transaction(work);
      } finally {
        wrote();
      }
    },
    withDeadline(ms: number): Database {
      return routedView(primary.withDeadline(ms), standby.withDeadline(ms), state, close);
    },
    onAvailabilityChange(listener: (change: AvailabilityChange) => void): () => void {
      return primary.onAvailabilityChange(listener);
    },
    close,
  };
}

/** A statement that only reads: begins with `select` and takes no row lock. */
function isRead(query: SqlQuery): boolean {
  return /^\s*select\b/i.test(query.text) &&
    !/\bfor\s+(update|share|no\s+key\s+update|key\s+share)\b/i.test(query.text);
}

/**
 * Where reads should go: the standby when it answers and is no more than
 * `maxLagMs` behind. Its lag is zero when it has replayed everything the
 * primary has written, else the time since the last transaction it replayed.
 */
async function measureSource(
  primary: Database,
  standby: Database,
  maxLagMs: number,
): Promise<ReadSource> {
  let replica;
  try {
    [replica] = await standby.withDeadline(CHECK_DEADLINE_MS).query<{
      recovering: boolean;
      replayed: string | null;
      sinceReplayMs: number | null;
    }>(sql`
      select pg_is_in_recovery() as recovering, pg_last_wal_replay_lsn()::text as replayed,
        (extract(epoch from clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000)::float8
          as "sinceReplayMs"`);
  } catch {
    return { kind: "primary", reason: "the read replica does not answer" };
  }
  if (replica === undefined) return { kind: "primary", reason: "the read replica does not answer" };
  // Not (or no longer) a standby: a server that takes writes of its own is never behind.
  if (!replica.recovering || replica.replayed === null) return { kind: "standby", lagMs: 0 };
  let behind;
  try {
    [behind] = await primary.withDeadline(CHECK_DEADLINE_MS).query<{ bytes: number }>(sql`
      select pg_wal_lsn_diff(pg_current_wal_lsn(), ${replica.replayed}::pg_lsn)::float8 as bytes`);
  } catch {
    // The primary is gone: reads may as well come from the standby, however old.
    return { kind: "standby", lagMs: replica.sinceReplayMs ?? 0 };
  }
  const lagMs = (behind?.bytes ?? 0) <= 0 ? 0 : Math.max(0, replica.sinceReplayMs ?? 0);
  return lagMs <= maxLagMs
    ? { kind: "standby", lagMs }
    : { kind: "primary", reason: `the read replica is ${Math.round(lagMs / 1000)} s behind` };
}
