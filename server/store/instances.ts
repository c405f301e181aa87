/**
 * Instances: the one row type, and the writes of ingestion on it:
 * registering, the identity a signature check needs, activating, erasing, and
 * an operator's change of status. Snapshots are `snapshots.ts`'s; the lists and
 * the detail are `instance_queries.ts`'s.
 */

import type { InstanceStatus } from "../../shared/instance_status.ts";
import { type Database, sql } from "./drivers/database.ts";

export type { InstanceStatus };

/** Flattened metrics as the store keeps them: one string, number or boolean per key. */
export type StoredMetrics = Readonly<Record<string, string | number | boolean>>;

/** An instance: the row of `instances`. Queries that return fewer columns pick from it. */
export interface Instance {
  readonly instanceId: string;
  readonly appId: number;
  readonly publicKey: Uint8Array;
  readonly status: InstanceStatus;
  readonly appVersion: string;
  readonly environment: string | null;
  readonly deploymentMode: string | null;
  readonly osArch: string | null;
  readonly firstSeen: Date;
  /** The last register, activation or snapshot, in server time. */
  readonly lastSeen: Date;
  /** The client timestamp of the last accepted snapshot: the replay guard. */
  readonly lastSnapshotAt: Date | null;
  /** The flattened metrics of the last accepted snapshot. */
  readonly metrics: StoredMetrics;
}

/** An instance's identity as the signature check needs it. */
export type InstanceIdentity = Pick<Instance, "publicKey" | "status">;

/** Optional metadata an instance reports about itself; null means "not sent". */
export type InstanceMetadata = Pick<Instance, "environment" | "deploymentMode" | "osArch">;

/** A registration as validated by ingestion: the instance and its application's slug and name. */
export type Registration =
  & Pick<Instance, "instanceId" | "publicKey" | "appVersion">
  & InstanceMetadata
  & { readonly appSlug: string; readonly appName: string };

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

/** Why a guarded write matched no row: the instance is revoked, unknown, or (null) neither. */
export async function refusalReason(
  db: Database,
  instanceId: string,
): Promise<"revoked" | "unknown" | null> {
  const identity = await findInstanceIdentity(db, instanceId);
  if (identity === null) return "unknown";
  return identity.status === "revoked" ? "revoked" : null;
}

/** What became of an erase: done, or why not. */
export type EraseOutcome = "erased" | "revoked" | "unknown";

/**
 * Removes every row of an instance in one transaction: its raw snapshots, its
 * per-day history and its instance row, so the same id may register again as
 * a new instance. The days it had history are marked for the upkeep to compute
 * again, so the application's figures drop it at the next round. A revoked
 * instance is left as it is (`"revoked"`) unless `includeRevoked` is set, as
 * for an operator's delete; an unknown one answers `"unknown"`.
 */
export async function eraseInstance(
  db: Database,
  instanceId: string,
  options: { includeRevoked?: boolean } = {},
): Promise<EraseOutcome> {
  return await db.transaction(async (tx) => {
    const [row] = await tx.query<{ status: InstanceStatus }>(
      sql`select status from instances where instance_id = ${instanceId}::uuid for update`,
    );
    if (row === undefined) return "unknown";
    if (row.status === "revoked" && !options.includeRevoked) return "revoked";
    await tx.query(sql`
      insert into rollup_stale (app_id, day)
      select distinct app_id, day from instance_days where instance_id = ${instanceId}::uuid
      on conflict (app_id, day) do update set mark = excluded.mark`);
    await tx.query(sql`delete from snapshots where instance_id = ${instanceId}::uuid`);
    await tx.query(sql`delete from instance_days where instance_id = ${instanceId}::uuid`);
    await tx.query(sql`delete from instances where instance_id = ${instanceId}::uuid`);
    return "erased";
  });
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

/** An operator's change of status: from what status to what, or null for an unknown instance. */
export type StatusChange = { readonly before: InstanceStatus; readonly after: InstanceStatus };

/**
 * Revokes an instance (`"revoke"`) or restores a revoked one (`"restore"`) in
 * one statement. A restored instance is `active` when it has sent a snapshot,
 * else `pending`; restoring one that is not revoked changes nothing. Answers
 * the status before and after, or null when the instance is unknown.
 */
export async function changeInstanceStatus(
  db: Database,
  instanceId: string,
  change: "revoke" | "restore",
): Promise<StatusChange | null> {
  const [row] = await db.query<StatusChange>(sql`
    update instances i set status = case
      when ${change} = 'revoke' then 'revoked'
      when i.status <> 'revoked' then i.status
      when i.last_snapshot_at is null then 'pending'
      else 'active' end
    from (select instance_id, status from instances
      where instance_id = ${instanceId}::uuid for update) old
    where i.instance_id = old.instance_id
    returning old.status as before, i.status as after`);
  return row ?? null;
}
