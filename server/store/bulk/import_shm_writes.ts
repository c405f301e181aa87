/**
 * Writes of `shm import-shm`: instances and snapshots of the original server
 * stored with their own timestamps, under the rules of ingestion that still
 * apply to history (a key never changes, a snapshot is stored only if it is
 * newer than the instance's last one), so that importing twice adds nothing.
 */

import { type Database, sql } from "../drivers/database.ts";
import type { Instance } from "../instances.ts";
import type { RawSnapshot } from "../snapshots.ts";

/**
 * An instance as the importer hands it over, already checked, with its
 * application's slug, name and time of creation; no snapshot yet.
 */
export type ImportedInstance = Omit<Instance, "appId" | "lastSnapshotAt" | "metrics"> & {
  readonly appSlug: string;
  readonly appName: string;
  readonly appCreatedAt: Date;
};

/** What became of an imported instance. */
export interface ImportInstanceOutcome {
  readonly instance: "created" | "merged" | "key_conflict";
  readonly applicationCreated: boolean;
}

/**
 * Stores an instance with its original id, key, status and first/last seen,
 * creating its application (by slug) when it is new, in one transaction.
 * For an instance already here with the same key, the two are merged so that
 * a second import changes nothing: first seen is the earlier, last seen the
 * later, the metadata already here is kept, and the status is the stronger
 * (revoked over active over pending), so an import never re-opens a revoked
 * instance. An instance known with another key is left as it is.
 */
export async function importInstance(
  db: Database,
  instance: ImportedInstance,
): Promise<ImportInstanceOutcome> {
  const i = instance;
  return await db.transaction(async (tx) => {
    const [app] = await tx.query<{ id: number; created: boolean }>(sql`
      insert into applications (slug, name, created_at, updated_at)
      values (${i.appSlug}, ${i.appName}, ${i.appCreatedAt}, ${i.appCreatedAt})
      on conflict (slug) do update set created_at = least(applications.created_at,
        excluded.created_at)
      returning id, (xmax = 0) as created`);
    const [row] = await tx.query<{ created: boolean }>(sql`
      insert into instances (instance_id, app_id, public_key, status, app_version,
        environment, deployment_mode, os_arch, first_seen, last_seen)
      values (${i.instanceId}::uuid, ${app?.id}, ${i.publicKey}, ${i.status}, ${i.appVersion},
        ${i.environment}, ${i.deploymentMode}, ${i.osArch}, ${i.firstSeen}, ${i.lastSeen})
      on conflict (instance_id) do update set
        status = case
          when 'revoked' in (instances.status, excluded.status) then 'revoked'
          when 'active' in (instances.status, excluded.status) then 'active'
          else 'pending' end,
        environment = coalesce(instances.environment, excluded.environment),
        deployment_mode = coalesce(instances.deployment_mode, excluded.deployment_mode),
        os_arch = coalesce(instances.os_arch, excluded.os_arch),
        first_seen = least(instances.first_seen, excluded.first_seen),
        last_seen = greatest(instances.last_seen, excluded.last_seen)
      where instances.public_key = excluded.public_key
      returning (xmax = 0) as created`);
    return {
      instance: row === undefined ? "key_conflict" : row.created ? "created" : "merged",
      applicationCreated: app?.created ?? false,
    };
  });
}

/** One imported snapshot: its original time and its flattened metrics. */
export type ImportedSnapshot = Pick<RawSnapshot, "takenAt" | "metrics">;

/**
 * Stores an instance's snapshots, given in time order, in one statement:
 * those strictly newer than its last stored snapshot become its history (one
 * row per UTC day: the day's last metrics and its count), the latest becomes
 * its latest metrics, and those taken at or after `rawSince` are kept as raw
 * snapshots (received at the time they were taken, so the upkeep ages them
 * out like any other). Older or repeated ones are skipped, so a second import
 * adds nothing. The status and last seen are left as imported. Returns how
 * many were stored.
 */
export async function importSnapshots(
  db: Database,
  instanceId: string,
  snapshots: readonly ImportedSnapshot[],
  options: { rawSince: Date },
): Promise<number> {
  if (snapshots.length === 0) return 0;
  const [row] = await db.query<{ stored: number }>(sql`
    with input as (
      select t.taken_at::timestamptz as taken_at, t.metrics::jsonb as metrics, t.n
      from unnest(
        ${snapshots.map((s) => s.takenAt.toISOString())}::text[],
        ${snapshots.map((s) => JSON.stringify(s.metrics))}::text[]
      ) with ordinality as t(taken_at, metrics, n)
    ),
    target as (
      select app_id, instance_id, app_version, environment, deployment_mode, os_arch,
        last_snapshot_at
      from instances where instance_id = ${instanceId}::uuid
      for update
    ),
    fresh as (
      -- Newer than the last stored one, and one per timestamp (the last given wins).
      select distinct on (input.taken_at) input.taken_at, input.metrics, target.*
      from input, target
      where target.last_snapshot_at is null or input.taken_at > target.last_snapshot_at
      order by input.taken_at, input.n desc
    ),
    latest as (
      update instances set
        last_snapshot_at = f.taken_at,
        metrics = f.metrics
      from (select taken_at, metrics from fresh order by taken_at desc limit 1) f
      where instances.instance_id = ${instanceId}::uuid
    ),
    raw as (
      insert into snapshots (app_id, instance_id, taken_at, received_at, app_version, metrics)
      select app_id, instance_id, taken_at, taken_at, app_version, metrics from fresh
      where taken_at >= ${options.rawSince}::timestamptz
    ),
    days as (
      select distinct on (day) (taken_at at time zone 'UTC')::date as day, app_id,
        instance_id, app_version, environment, deployment_mode, os_arch, metrics,
        count(*) over (partition by (taken_at at time zone 'UTC')::date) as snapshots,
        taken_at as last_at
      from fresh
      order by day, taken_at desc
    ),
    history as (
      insert into instance_days (app_id, day, instance_id, app_version, environment,
        deployment_mode, os_arch, metrics, snapshots, last_at)
      select app_id, day, instance_id, app_version, environment, deployment_mode, os_arch,
        metrics, snapshots, last_at
      from days
      on conflict (app_id, day, instance_id) do update set
        metrics = case when excluded.last_at > instance_days.last_at
          then excluded.metrics else instance_days.metrics end,
        last_at = greatest(excluded.last_at, instance_days.last_at),
        snapshots = instance_days.snapshots + excluded.snapshots
    ),
    stale as (
      -- the rollups of these days are computed again by the next upkeep
      insert into rollup_stale (app_id, day)
      select app_id, day from days
      on conflict (app_id, day) do update set mark = excluded.mark
    )
    select count(*)::int as stored from fresh`);
  return row?.stored ?? 0;
}

/**
 * Sets application `appSlug`'s GitHub repository from the original's link,
 * with the stars the original read (`checkedAt` its time; null stars: none),
 * due for a read at `now`, unless the application already has a repository
 * (set here, or by an earlier import). Answers whether it was set; false
 * too when no application here has the slug.
 */
export async function importGithubLink(
  db: Database,
  link: {
    appSlug: string;
    repo: string;
    stars: number | null;
    checkedAt: Date | null;
    now: Date;
  },
): Promise<boolean> {
  const rows = await db.query(sql`
    insert into github_repos (app_id, repo, stars, checked_at, error, next_check_at)
    select a.id, ${link.repo}, ${link.stars}::int, ${link.checkedAt}::timestamptz, null,
      ${link.now}::timestamptz
    from applications a where a.slug = ${link.appSlug}
    on conflict (app_id) do nothing
    returning 1`);
  return rows.length > 0;
}
