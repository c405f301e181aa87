/** The write path of ingestion: registering, activating and storing snapshots. */

import { type Database, sql } from "./drivers/database.ts";

/** An instance's identity as the signature check needs it. */
export interface InstanceIdentity {
  readonly publicKey: Uint8Array;
  readonly status: InstanceStatus;
}

export type InstanceStatus = "pending" | "active" | "revoked";

/** Optional metadata an instance reports about itself; null means "not sent". */
export interface InstanceMetadata {
  readonly environment: string | null;
  readonly deploymentMode: string | null;
  readonly osArch: string | null;
}

/** A registration as validated by ingestion. */
export interface Registration extends InstanceMetadata {
  readonly instanceId: string;
  readonly publicKey: Uint8Array;
  readonly appSlug: string;
  readonly appName: string;
  readonly appVersion: string;
}

/**
 * Registers an instance in one transaction: creates its application when the
 * slug is new and the instance as `pending`; for a known instance with the same
 * key, updates its metadata only. Answers `"key_conflict"` (and changes
 * nothing) when the instance is known with another key.
 */
export async function registerInstance(
  db: Database,
  registration: Registration,
  now: Date,
): Promise<"created" | "updated" | "key_conflict"> {
  const r = registration;
  try {
    return await db.transaction(async (tx) => {
      const [app] = await tx.query<{ id: number }>(sql`
        insert into applications (slug, name, created_at, updated_at)
        values (${r.appSlug}, ${r.appName}, ${now}, ${now})
        on conflict (slug) do update set slug = excluded.slug
        returning id`);
      const [row] = await tx.query<{ created: boolean }>(sql`
        insert into instances (instance_id, app_id, public_key, status, app_version,
          environment, deployment_mode, os_arch, first_seen, last_seen)
        values (${r.instanceId}::uuid, ${app?.id}, ${r.publicKey}, 'pending', ${r.appVersion},
          ${r.environment}, ${r.deploymentMode}, ${r.osArch}, ${now}, ${now})
        on conflict (instance_id) do update set
          app_version = excluded.app_version,
          environment = coalesce(excluded.environment, instances.environment),
          deployment_mode = coalesce(excluded.deployment_mode, instances.deployment_mode),
          os_arch = coalesce(excluded.os_arch, instances.os_arch)
        where instances.public_key = excluded.public_key
        returning (xmax = 0) as created`);
      if (row === undefined) throw new KeyConflict();
      return row.created ? "created" : "updated";
    });
  } catch (error) {
    if (error instanceof KeyConflict) return "key_conflict";
    throw error;
  }
}

/** Thrown inside the registration transaction to roll it back on a key conflict. */
class KeyConflict extends Error {}

/** Returns the public key and status of an instance, or null when it is unknown. */
export async function findInstanceIdentity(
  db: Database,
  instanceId: string,
): Promise<InstanceIdentity | null> {
  const [row] = await db.query<{ public_key: Uint8Array; status: InstanceStatus }>(
    sql`select public_key, status from instances where instance_id = ${instanceId}::uuid`,
  );
  return row ? { publicKey: new Uint8Array(row.public_key), status: row.status } : null;
}

/**
 * Marks an instance active (a pending one becomes active) and records the
 * sign of life. Answers `"revoked"` or `"unknown"` without writing when it cannot.
 */
export async function activateInstance(
  db: Database,
  instanceId: string,
  now: Date,
): Promise<"activated" | "revoked" | "unknown"> {
  const rows = await db.query(sql`
    update instances set status = 'active', last_seen = greatest(last_seen, ${now})
    where instance_id = ${instanceId}::uuid and status <> 'revoked'
    returning 1`);
  if (rows.length > 0) return "activated";
  return await refusalReason(db, instanceId) ?? "unknown";
}

/** What became of a snapshot: stored, or why not. */
export type SnapshotOutcome = "accepted" | "not_newer" | "revoked" | "unknown";

/** A snapshot as validated by ingestion, metrics already flattened. */
export interface SnapshotRecord {
  readonly instanceId: string;
  /** The client's RFC 3339 timestamp, exactly as sent (PostgreSQL keeps its microseconds). */
  readonly takenAt: string;
  readonly metrics: Readonly<Record<string, string | number | boolean>>;
  /** Signed metadata updates (protocol extension); null keeps the stored value. */
  readonly appVersion: string | null;
  readonly metadata: InstanceMetadata;
}

/**
 * Stores one snapshot if its timestamp is strictly later than the instance's
 * last accepted one (see {@linkcode insertSnapshotsIfNewer}), and says why
 * not when it is not stored.
 */
export async function insertSnapshotIfNewer(
  db: Database,
  snapshot: SnapshotRecord,
  now: Date,
): Promise<SnapshotOutcome> {
  const accepted = await insertSnapshotsIfNewer(db, [{ record: snapshot, now }]);
  if (accepted.size > 0) return "accepted";
  return await refusalReason(db, snapshot.instanceId) ?? "not_newer";
}

/** A snapshot to write and the server time it arrived. */
export interface TimedSnapshot {
  readonly record: SnapshotRecord;
  readonly now: Date;
}

/**
 * Stores each snapshot whose timestamp is strictly later than its instance's
 * last accepted one, all in one statement: per snapshot, the check, the latest
 * state, the day's history row, the raw row and, for a day older than
 * yesterday, the mark that its rollup is stale are written together or not
 * at all, so copies of a request sent at once are stored exactly once, across
 * any number of server processes. A pending instance becomes active. The
 * snapshots must belong to distinct instances. Returns the ids of the
 * instances whose snapshot was stored.
 */
export async function insertSnapshotsIfNewer(
  db: Database,
  batch: readonly TimedSnapshot[],
): Promise<Set<string>> {
  // Sorted by instance id, so that two servers' batches mostly lock rows in the same order; a
  // deadlock that still happens fails the batch, and its snapshots are retried one by one.
  const sorted = [...batch].sort((a, b) => a.record.instanceId < b.record.instanceId ? -1 : 1);
  const column = <T>(pick: (p: TimedSnapshot) => T) => sorted.map(pick);
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
    ),
    -- A day older than yesterday has a final rollup already: it must be computed again.
    late as (
      insert into rollup_stale (app_id, day)
      select distinct app_id, (last_snapshot_at at time zone 'UTC')::date
      from accepted
      where (last_snapshot_at at time zone 'UTC')::date < (received_at at time zone 'UTC')::date - 1
      on conflict (app_id, day) do update set mark = excluded.mark
    )
    select instance_id::text as instance_id from accepted`);
  return new Set(rows.map((row) => row.instance_id));
}

/** Why a guarded write matched no row: the instance is revoked, unknown, or (null) neither. */
async function refusalReason(
  db: Database,
  instanceId: string,
): Promise<"revoked" | "unknown" | null> {
  const identity = await findInstanceIdentity(db, instanceId);
  if (identity === null) return "unknown";
  return identity.status === "revoked" ? "revoked" : null;
}

/** Sets an instance's status (an operator revoking or restoring it); false when the instance is unknown. */
export async function setInstanceStatus(
  db: Database,
  instanceId: string,
  status: InstanceStatus,
): Promise<boolean> {
  const rows = await db.query(
    sql`update instances set status = ${status} where instance_id = ${instanceId}::uuid returning 1`,
  );
  return rows.length > 0;
}
