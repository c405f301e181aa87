/**
 * Snapshots: the raw rows (kept for a short window, in daily partitions, see
 * `snapshot_partitions.ts`), each instance's day of history, and storing a
 * snapshot only if it is newer than the instance's last one, with its
 * latest state and history, in one statement.
 */

import { type Database, sql } from "./drivers/database.ts";
import {
  type Instance,
  type InstanceMetadata,
  refusalReason,
  type StoredMetrics,
} from "./instances.ts";

/** A raw snapshot: the row of `snapshots`. */
export interface RawSnapshot {
  readonly appId: number;
  readonly instanceId: string;
  /** The client's timestamp. */
  readonly takenAt: Date;
  /** The server time it arrived: the partition it is kept in. */
  readonly receivedAt: Date;
  readonly appVersion: string;
  readonly metrics: StoredMetrics;
}

/** One instance's last state of one UTC day: the row of `instance_days`. */
export type InstanceDay =
  & Pick<
    Instance,
    "appId" | "instanceId" | "appVersion" | "environment" | "deploymentMode" | "osArch" | "metrics"
  >
  & {
    /** YYYY-MM-DD */
    readonly day: string;
    /** Snapshots stored that day. */
    readonly snapshots: number;
    /** The client timestamp of the day's last snapshot. */
    readonly lastAt: Date;
  };

/** What became of a snapshot: stored, or why not. */
export type SnapshotOutcome = "accepted" | "not_newer" | "revoked" | "unknown";

/** A snapshot as validated by ingestion, metrics already flattened. */
export interface SnapshotRecord {
  readonly instanceId: string;
  /** The client's RFC 3339 timestamp, exactly as sent (PostgreSQL keeps its microseconds). */
  readonly takenAt: string;
  readonly metrics: StoredMetrics;
  /** Signed metadata updates (protocol extension); null keeps the stored value. */
  readonly appVersion: string | null;
  readonly metadata: InstanceMetadata;
  /**
   * The deployment mode the instance's own metrics report (the original SDKs'
   * `sys_mode`): stored only while the instance has none, sent or registered.
   */
  readonly reportedDeploymentMode?: string;
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
  // The batch goes as one JSON parameter: one JSON.stringify, where nine array literals cost
  // an escaped string per value and the metrics a text-to-jsonb cast each.
  const input = JSON.stringify(sorted.map(({ record, now }) => ({
    instance_id: record.instanceId,
    taken_at: record.takenAt,
    metrics: record.metrics,
    app_version: record.appVersion,
    environment: record.metadata.environment,
    deployment_mode: record.metadata.deploymentMode,
    os_arch: record.metadata.osArch,
    reported_deployment_mode: record.reportedDeploymentMode ?? null,
    received_at: now.toISOString(),
  })));
  const rows = await db.query<{ instance_id: string }>(sql`
    with input as (
      select * from jsonb_to_recordset(${input}::text::jsonb) as t(instance_id uuid, taken_at text,
        metrics jsonb, app_version text, environment text, deployment_mode text, os_arch text,
        reported_deployment_mode text, received_at text)
    ),
    accepted as (
      update instances i set
        last_snapshot_at = input.taken_at::timestamptz,
        last_seen = greatest(i.last_seen, input.received_at::timestamptz),
        metrics = input.metrics,
        status = 'active',
        app_version = coalesce(input.app_version, i.app_version),
        environment = coalesce(input.environment, i.environment),
        deployment_mode = coalesce(input.deployment_mode, i.deployment_mode,
          input.reported_deployment_mode),
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
