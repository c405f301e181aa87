/**
 * Snapshot writes grouped into batches: while one batch's statement runs,
 * the snapshots that arrive wait and go together in the next, so that under
 * load many snapshots share one statement and one commit, and with no load a
 * snapshot is written at once, alone.
 */

import { StoreUnavailableError } from "../errors.ts";
import { type Database, sql } from "./database.ts";
import { insertSnapshotIfNewer, type SnapshotOutcome, type SnapshotRecord } from "./instances.ts";

interface Pending {
  readonly record: SnapshotRecord;
  readonly now: Date;
  readonly resolve: (outcome: SnapshotOutcome) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Writes snapshots in batches of at most `maxBatch`, at most `maxConcurrent`
 * batches at a time. An instance is in at most one batch in flight, so its
 * snapshots are written in the order they arrived.
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
   * Resolves once the write is committed (or refused).
   */
  write(record: SnapshotRecord, now: Date): Promise<SnapshotOutcome> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ record, now, resolve, reject });
      this.#startBatches();
    });
  }

  /** How many snapshots were stored by multi-row batch statements so far (for tests and metrics). */
  get rowsInBatches(): number {
    return this.#rowsInBatches;
  }

  #startBatches(): void {
    while (this.#running < this.#maxConcurrent && this.#queue.length > 0) {
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
      await insertSnapshotIfNewer(this.#db, only.record, only.now).then(only.resolve, only.reject);
      return;
    }
    let accepted: Set<string>;
    try {
      accepted = await insertSnapshotBatch(this.#db, batch);
    } catch (error) {
      if (error instanceof StoreUnavailableError) {
        for (const pending of batch) pending.reject(error);
        return;
      }
      // A batch that failed for another reason (a deadlock with another server, say)
      // is retried one snapshot at a time, so that each gets its own answer.
      await Promise.all(
        batch.map((p) =>
          insertSnapshotIfNewer(this.#db, p.record, p.now).then(p.resolve, p.reject)
        ),
      );
      return;
    }
    this.#rowsInBatches += accepted.size;
    await Promise.all(batch.map(async (pending) => {
      if (accepted.has(pending.record.instanceId)) return pending.resolve("accepted");
      // Refused: the single-snapshot path finds out why, and writes nothing it should not.
      await insertSnapshotIfNewer(this.#db, pending.record, pending.now)
        .then(pending.resolve, pending.reject);
    }));
  }
}

/**
 * One statement for many snapshots of distinct instances: the same guarded
 * update, raw insert and history upsert as `insertSnapshotIfNewer`, for all
 * of them at once. Returns the ids of the instances whose snapshot was stored.
 */
async function insertSnapshotBatch(db: Database, batch: Pending[]): Promise<Set<string>> {
  // Sorted by instance id, so that two servers' batches mostly lock rows in the same order; a
  // deadlock that still happens fails the batch, and its snapshots are retried one by one.
  const sorted = [...batch].sort((a, b) => a.record.instanceId < b.record.instanceId ? -1 : 1);
  const column = <T>(pick: (p: Pending) => T) => sorted.map(pick);
  const rows = await db.query<{ instance_id: string }>(sql`
    with input as (
      select * from unnest(
        ${column((p) => p.record.instanceId)}::uuid[],
        ${column((p) => p.record.takenAt)}::text[],
        ${column((p) => JSON.stringify(p.record.metrics))}::text[],
        ${column((p) => p.record.appVersion)}::text[],
        ${column((p) => p.record.metadata.environment)}::text[],
        ${column((p) => p.record.metadata.deploymentMode)}::text[],
        ${column((p) => p.record.metadata.osArch)}::text[],
        ${column((p) => p.now.toISOString())}::text[]
      ) as t(instance_id, taken_at, metrics, app_version, environment, deployment_mode,
        os_arch, received_at)
    ),
    accepted as (
      update instances i set
        last_snapshot_at = input.taken_at::timestamptz,
        last_seen = greatest(i.last_seen, input.received_at::timestamptz),
        metrics = input.metrics::jsonb,
        status = 'active',
        app_version = coalesce(input.app_version, i.app_version),
        environment = coalesce(input.environment, i.environment),
        deployment_mode = coalesce(input.deployment_mode, i.deployment_mode),
        os_arch = coalesce(input.os_arch, i.os_arch)
      from input
      where i.instance_id = input.instance_id
        and i.status <> 'revoked'
        and (i.last_snapshot_at is null or i.last_snapshot_at < input.taken_at::timestamptz)
      returning i.app_id, i.instance_id, i.last_snapshot_at, i.app_version, i.environment,
        i.deployment_mode, i.os_arch, i.metrics, input.received_at::timestamptz as received_at
    ),
    raw as (
      insert into snapshots (app_id, instance_id, taken_at, received_at, app_version, metrics)
      select app_id, instance_id, last_snapshot_at, received_at, app_version, metrics
      from accepted
    ),
    history as (
      insert into instance_days (app_id, day, instance_id, app_version, environment,
        deployment_mode, os_arch, metrics, snapshots, last_at)
      select app_id, (last_snapshot_at at time zone 'UTC')::date, instance_id, app_version,
        environment, deployment_mode, os_arch, metrics, 1, last_snapshot_at
      from accepted
      on conflict (app_id, day, instance_id) do update set
        app_version = excluded.app_version,
        environment = excluded.environment,
        deployment_mode = excluded.deployment_mode,
        os_arch = excluded.os_arch,
        metrics = excluded.metrics,
        snapshots = instance_days.snapshots + 1,
        last_at = excluded.last_at
    )
    select instance_id::text as instance_id from accepted`);
  return new Set(rows.map((row) => row.instance_id));
}
