/**
 * Bulk writes of `shm demo`: applications, instances in their final state,
 * history rows and raw snapshots, each many rows per statement. The rows must
 * already obey ingestion's rules (one history row per instance per day, the
 * latest metrics equal to the last day's, …); nothing here checks them.
 * Timestamps and JSON travel as text and are cast in SQL.
 */

import { type Database, sql } from "../drivers/database.ts";
import type { Instance } from "../instances.ts";
import type { InstanceDay, RawSnapshot } from "../snapshots.ts";

/** An application of the demo. */
export interface DemoApplicationRow {
  readonly slug: string;
  readonly name: string;
  readonly createdAt: Date;
}

/**
 * Creates the applications that do not exist yet (by slug) and returns the id
 * of each slug given, new or not.
 */
export async function upsertDemoApplications(
  db: Database,
  apps: readonly DemoApplicationRow[],
): Promise<Map<string, number>> {
  const rows = await db.query<{ id: number; slug: string }>(sql`
    insert into applications (slug, name, created_at, updated_at)
    select slug, name, created_at::timestamptz, created_at::timestamptz
    from unnest(
      ${apps.map((a) => a.slug)}::text[],
      ${apps.map((a) => a.name)}::text[],
      ${apps.map((a) => a.createdAt.toISOString())}::text[]
    ) as t(slug, name, created_at)
    on conflict (slug) do update set slug = excluded.slug
    returning id, slug`);
  return new Map(rows.map((row) => [row.slug, row.id]));
}

/**
 * Inserts instances in their final state (new ids only) in one statement;
 * returns how many were inserted.
 */
export async function insertDemoInstances(
  db: Database,
  rows: readonly Instance[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const col = <T>(pick: (row: Instance) => T) => rows.map(pick);
  const inserted = await db.query(sql`
    insert into instances (instance_id, app_id, public_key, status, app_version, environment,
      deployment_mode, os_arch, first_seen, last_seen, last_snapshot_at, metrics)
    select instance_id::uuid, app_id::int, decode(public_key, 'hex'), status, app_version,
      environment, deployment_mode, os_arch, first_seen::timestamptz, last_seen::timestamptz,
      last_snapshot_at::timestamptz, metrics::jsonb
    from unnest(
      ${col((r) => r.instanceId)}::text[],
      ${col((r) => String(r.appId))}::text[],
      ${col((r) => hex(r.publicKey))}::text[],
      ${col((r) => r.status)}::text[],
      ${col((r) => r.appVersion)}::text[],
      ${col((r) => r.environment)}::text[],
      ${col((r) => r.deploymentMode)}::text[],
      ${col((r) => r.osArch)}::text[],
      ${col((r) => r.firstSeen.toISOString())}::text[],
      ${col((r) => r.lastSeen.toISOString())}::text[],
      ${col((r) => r.lastSnapshotAt?.toISOString() ?? null)}::text[],
      ${col((r) => JSON.stringify(r.metrics))}::text[]
    ) as t(instance_id, app_id, public_key, status, app_version, environment, deployment_mode,
      os_arch, first_seen, last_seen, last_snapshot_at, metrics)
    on conflict (instance_id) do nothing
    returning 1`);
  return inserted.length;
}

/**
 * Inserts history rows in one statement; a row already there for the instance and day is kept.
 * With `indexed: false` (between {@linkcode dropHistoryIndexes} and
 * {@linkcode buildHistoryIndexes}) the rows are appended without that check: the primary key
 * built afterwards refuses a duplicate then.
 */
export async function insertDemoDays(
  db: Database,
  rows: readonly InstanceDay[],
  options: { indexed?: boolean } = {},
): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(pick: (row: InstanceDay) => T) => rows.map(pick);
  const conflict = options.indexed === false
    ? sql``
    : sql`on conflict (app_id, day, instance_id) do nothing`;
  await db.query(sql`
    insert into instance_days (app_id, day, instance_id, app_version, environment,
      deployment_mode, os_arch, metrics, snapshots, last_at)
    select app_id::int, day::date, instance_id::uuid, app_version, environment,
      deployment_mode, os_arch, metrics::jsonb, snapshots::int, last_at::timestamptz
    from unnest(
      ${col((r) => String(r.appId))}::text[],
      ${col((r) => r.day)}::text[],
      ${col((r) => r.instanceId)}::text[],
      ${col((r) => r.appVersion)}::text[],
      ${col((r) => r.environment)}::text[],
      ${col((r) => r.deploymentMode)}::text[],
      ${col((r) => r.osArch)}::text[],
      ${col((r) => JSON.stringify(r.metrics))}::text[],
      ${col((r) => String(r.snapshots))}::text[],
      ${col((r) => r.lastAt.toISOString())}::text[]
    ) as t(app_id, day, instance_id, app_version, environment, deployment_mode, os_arch,
      metrics, snapshots, last_at)
    ${conflict}`);
}

/**
 * Drops the history's primary key and its per-instance index so that a large
 * seed appends rows instead of updating two B-trees of random UUIDs at every
 * row (at a million instances those no longer fit in memory and each insert
 * waits for disk). Only for an empty history, in a database no server uses:
 * throws when `instance_days` holds a row. {@linkcode buildHistoryIndexes}
 * must follow; until then ingestion and the rollups must not run.
 */
export async function dropHistoryIndexes(db: Database): Promise<void> {
  await db.transaction(async (tx) => {
    const [row] = await tx.query<{ held: boolean }>(
      sql`select exists (select 1 from instance_days) as held`,
    );
    if (row?.held) throw new Error("instance_days holds rows: its indexes stay");
    await tx.query(sql`alter table instance_days drop constraint instance_days_pkey`);
    await tx.query(sql`drop index instance_days_instance`);
  });
}

/**
 * Builds what {@linkcode dropHistoryIndexes} dropped, exactly as migration
 * 0001 defines them (a duplicate (app_id, day, instance_id) makes it fail and
 * nothing is built), rewriting the table in primary-key order on the way
 * (`cluster`), then vacuums and analyzes it. The seed writes an instance's
 * days together, while ingestion appends each day's rows after the day
 * before; left in the seed's order, one application-day's rows lie on as
 * many pages as rows (27,038 pages for 27,057 rows at 100,000 instances) and
 * every read of a day, the rollups' first, goes to disk once per row.
 */
export async function buildHistoryIndexes(db: Database): Promise<void> {
  await db.transaction(async (tx) => {
    if (tx.kind === "postgres") await tx.query(sql`set local maintenance_work_mem = '512MB'`);
    await tx.query(sql`alter table instance_days add primary key (app_id, day, instance_id)`);
    // Statistics first: without them `cluster` takes the table for small and walks the new
    // index, one random page per row, instead of reading the table through and sorting it.
    await tx.query(sql`analyze instance_days`);
    await tx.query(sql`cluster instance_days using instance_days_pkey`);
    // Clustered once, as ingestion's order is; not marked for a later bare `cluster`.
    await tx.query(sql`alter table instance_days set without cluster`);
    await tx.query(
      sql`create index instance_days_instance on instance_days (instance_id, day desc)`,
    );
  });
  // The visibility map and hint bits set in one pass: the rollups that follow probe each row's
  // previous day through index-only scans, which otherwise visit the table (and dirty its pages)
  // once per probe.
  await db.query(sql`vacuum analyze instance_days`);
}

/** Inserts raw snapshots in one statement (into the partition of each one's day of arrival). */
export async function insertDemoSnapshots(
  db: Database,
  rows: readonly RawSnapshot[],
): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(pick: (row: RawSnapshot) => T) => rows.map(pick);
  await db.query(sql`
    insert into snapshots (app_id, instance_id, taken_at, received_at, app_version, metrics)
    select app_id::int, instance_id::uuid, taken_at::timestamptz, received_at::timestamptz,
      app_version, metrics::jsonb
    from unnest(
      ${col((r) => String(r.appId))}::text[],
      ${col((r) => r.instanceId)}::text[],
      ${col((r) => r.takenAt.toISOString())}::text[],
      ${col((r) => r.receivedAt.toISOString())}::text[],
      ${col((r) => r.appVersion)}::text[],
      ${col((r) => JSON.stringify(r.metrics))}::text[]
    ) as t(app_id, instance_id, taken_at, received_at, app_version, metrics)`);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
