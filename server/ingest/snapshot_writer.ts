/**
 * Snapshot writes grouped into batches: while one batch's statement runs,
 * the snapshots that arrive wait and go together in the next, so that under
 * load many snapshots share one statement and one commit, and with no load a
 * snapshot is written at once, alone. This is the policy (when a batch goes,
 * how large, how many at once, what a failure does to the others); the
 * statements are the store's (`insertSnapshotsIfNewer`, `insertSnapshotIfNewer`).
 */

import { StoreUnavailableError } from "../errors.ts";
import {
  type Database,
  insertSnapshotIfNewer,
  insertSnapshotsIfNewer,
  outsideStoreBudget,
  type SnapshotOutcome,
  type SnapshotRecord,
  waitWithinStoreBudget,
} from "../store/mod.ts";

interface Pending {
  readonly record: SnapshotRecord;
  readonly now: Date;
  readonly resolve: (outcome: SnapshotOutcome) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Writes snapshots in batches of at most `maxBatch`, at most `maxConcurrent`
 * batches at a time (more than one only while full batches wait). An instance
 * is in at most one batch in flight, so its snapshots are written in the order
 * they arrived.
 */
export class SnapshotWriter {
  readonly #db: Database;
  readonly #maxBatch: number;
  readonly #maxConcurrent: number;
  #queue: Pending[] = [];
  #running = 0;
  readonly #busy = new Set<string>();
  #rowsInBatches = 0;

  constructor(db: Database, options: { maxBatch?: number; maxConcurrent?: number } = {}) {
    this.#db = db;
    this.#maxBatch = options.maxBatch ?? 100;
    this.#maxConcurrent = options.maxConcurrent ?? 4;
  }

  /**
   * Stores `record` if its timestamp is newer than the instance's last one,
   * with the same rules and outcomes as {@linkcode insertSnapshotIfNewer}.
   * Resolves once the write is committed (or refused). Within a request's
   * store budget (`server/store/drivers/request_budget.ts`), rejects with `StoreUnavailableError`
   * when the budget runs out first; a snapshot still waiting for its batch is
   * then never written, one in a batch may be.
   */
  write(record: SnapshotRecord, now: Date): Promise<SnapshotOutcome> {
    return waitWithinStoreBudget((leftMs) =>
      new Promise<SnapshotOutcome>((resolve, reject) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const pending: Pending = {
          record,
          now,
          resolve: (outcome) => (clearTimeout(timer), resolve(outcome)),
          reject: (error) => (clearTimeout(timer), reject(error)),
        };
        if (leftMs !== null) {
          timer = setTimeout(() => {
            this.#queue = this.#queue.filter((waiting) => waiting !== pending);
            reject(
              new StoreUnavailableError(
                `The database gave no answer within ${Math.round(leftMs)} ms`,
              ),
            );
          }, leftMs);
        }
        this.#queue.push(pending);
        // A batch carries the snapshots of several requests: it runs outside this one's budget.
        outsideStoreBudget(() => this.#startBatches());
      })
    );
  }

  /** How many snapshots were stored by multi-row batch statements so far (for tests and metrics). */
  get rowsInBatches(): number {
    return this.#rowsInBatches;
  }

  #startBatches(): void {
    while (this.#mayStartBatch()) {
      const batch = this.#takeBatch();
      if (batch.length === 0) return;
      this.#running++;
      for (const pending of batch) this.#busy.add(pending.record.instanceId);
      void this.#writeBatch(batch).finally(() => {
        for (const pending of batch) this.#busy.delete(pending.record.instanceId);
        this.#running--;
        this.#startBatches();
      });
    }
  }

  /**
   * Whether another batch may go now: always when none is in flight; a
   * second (up to `maxConcurrent`) only when a full batch is waiting. Each
   * statement costs the database about as much as dozens of its rows, so
   * snapshots that arrive while one batch runs gather for the next rather than
   * going in statements of one or two (measured in docs/performance.md).
   */
  #mayStartBatch(): boolean {
    if (this.#queue.length === 0) return false;
    if (this.#running === 0) return true;
    return this.#running < this.#maxConcurrent && this.#queue.length >= this.#maxBatch;
  }

  /** Takes the oldest waiting snapshots of instances not in a batch in flight, one per instance. */
  #takeBatch(): Pending[] {
    const batch: Pending[] = [];
    const rest: Pending[] = [];
    const instances = new Set<string>();
    for (const pending of this.#queue) {
      const id = pending.record.instanceId;
      if (batch.length < this.#maxBatch && !instances.has(id) && !this.#busy.has(id)) {
        instances.add(id);
        batch.push(pending);
      } else {
        // A later snapshot of an instance already taken waits its turn, keeping the order.
        instances.add(id);
        rest.push(pending);
      }
    }
    this.#queue = rest;
    return batch;
  }

  async #writeBatch(batch: Pending[]): Promise<void> {
    if (batch.length === 1) {
      const [only] = batch as [Pending];
      await this.#writeOne(only);
      return;
    }
    let accepted: Set<string>;
    try {
      accepted = await insertSnapshotsIfNewer(this.#db, batch);
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        for (const pending of batch) this.#fail(pending, error);
        return;
      }
      // A batch that failed for another reason (a deadlock with another server, say)
      // is retried one snapshot at a time, so that each gets its own answer.
      await Promise.all(batch.map((pending) => this.#writeOne(pending)));
      return;
    }
    this.#rowsInBatches += accepted.size;
    await Promise.all(batch.map(async (pending) => {
      if (accepted.has(pending.record.instanceId)) return pending.resolve("accepted");
      // Refused: the single-snapshot path finds out why, and writes nothing it should not.
      await this.#writeOne(pending);
    }));
  }

  async #writeOne(pending: Pending): Promise<void> {
    await insertSnapshotIfNewer(this.#db, pending.record, pending.now)
      .then(pending.resolve, (error) => this.#fail(pending, error));
  }

  /**
   * Answers `pending` with `error`. When the store is unavailable, the
   * snapshots still waiting for a batch are refused with it too, at once:
   * they would only wait for batches in flight to fail the same way, and
   * nothing of theirs has been written.
   */
  #fail(pending: Pending, error: unknown): void {
    pending.reject(error);
    if (error instanceof StoreUnavailableError) {
      for (const waiting of this.#queue.splice(0)) waiting.reject(error);
    }
  }
}
