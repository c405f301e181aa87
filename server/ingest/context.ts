/** What every ingestion step needs: the store, the clock, the rules' settings. */

import type { Database } from "../store/mod.ts";
import { SnapshotWriter } from "./snapshot_writer.ts";
import { type KeyShare, PublicKeyCache } from "./verify_signature.ts";

/** The dependencies and settings of ingestion, built once at start. */
export interface IngestContext {
  readonly db: Database;
  /** The current time; tests pass a fake clock. */
  readonly now: () => Date;
  /** Oldest accepted snapshot timestamp, as milliseconds before now. */
  readonly snapshotBacklogMs: number;
  readonly keys: PublicKeyCache;
  /** Where accepted snapshots are written, in batches under load. */
  readonly snapshots: SnapshotWriter;
}

/** How far in the future a snapshot's timestamp may be (clock skew allowance). */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;

/**
 * Builds the ingestion context: its key cache and snapshot writer are made
 * here, once. With `keyShare`, the key cache shares what it learns with the
 * server's other accept loops.
 */
export function createIngestContext(
  db: Database,
  options: { now: () => Date; snapshotBacklogMs: number; keyShare?: KeyShare },
): IngestContext {
  return {
    db,
    now: options.now,
    snapshotBacklogMs: options.snapshotBacklogMs,
    keys: new PublicKeyCache(
      undefined,
      options.keyShare === undefined ? {} : { share: options.keyShare },
    ),
    snapshots: new SnapshotWriter(db),
  };
}
