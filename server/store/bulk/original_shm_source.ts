/**
 * Reading the original SHM server's database (its schema is summarised in
 * `docs/deploy.md`), for `shm import-shm`. Read-only: nothing here writes.
 */

import { type Database, sql } from "../drivers/database.ts";

/** One instance of the original server, with the application it belongs to. */
export interface OriginalInstance {
  readonly instanceId: string;
  readonly publicKey: Uint8Array | null;
  /** `applications.app_slug` when the instance has an application, else null. */
  readonly appSlug: string | null;
  /** The application's name, else the instance's own `app_name`. */
  readonly appName: string | null;
  readonly appCreatedAt: Date | null;
  readonly appVersion: string | null;
  readonly deploymentMode: string | null;
  readonly environment: string | null;
  readonly osArch: string | null;
  readonly status: string | null;
  readonly createdAt: Date | null;
  readonly lastSeenAt: Date | null;
}

/** One stored snapshot of the original server. */
export interface OriginalSnapshot {
  /** The `bigserial` id, as text: the keyset for reading in pages. */
  readonly id: string;
  readonly takenAt: Date;
  /** The `data` column, parsed from JSON. */
  readonly data: unknown;
}

/**
 * Checks that `db` has the original server's tables and columns; throws an
 * Error naming what is missing, so that a wrong URL fails before any write.
 */
export async function checkOriginalSchema(db: Database): Promise<void> {
  const needed: Record<string, string[]> = {
    applications: ["id", "app_slug", "app_name", "created_at"],
    instances: [
      "instance_id",
      "public_key",
      "app_name",
      "app_version",
      "deployment_mode",
      "environment",
      "os_arch",
      "status",
      "last_seen_at",
      "created_at",
      "application_id",
    ],
    snapshots: ["id", "instance_id", "snapshot_at", "data"],
  };
  const rows = await db.query<{ table_name: string; column_name: string }>(sql`
    select table_name::text, column_name::text from information_schema.columns
    where table_schema = current_schema() and table_name = any(${Object.keys(needed)}::text[])`);
  const present = new Set(rows.map((r) => `${r.table_name}.${r.column_name}`));
  const missing = Object.entries(needed)
    .flatMap(([table, columns]) => columns.map((c) => `${table}.${c}`))
    .filter((name) => !present.has(name));
  if (missing.length > 0) {
    throw new Error(
      `Cannot import as the source database is not an original SHM database: ` +
        `missing ${missing.join(", ")}`,
    );
  }
}

/** Every instance of the original server with its application, oldest first. */
export async function listOriginalInstances(db: Database): Promise<OriginalInstance[]> {
  const rows = await db.query<{
    instance_id: string;
    public_key: Uint8Array | null;
    app_slug: string | null;
    app_name: string | null;
    app_created_at: Date | null;
    app_version: string | null;
    deployment_mode: string | null;
    environment: string | null;
    os_arch: string | null;
    status: string | null;
    created_at: Date | null;
    last_seen_at: Date | null;
  }>(sql`
    select i.instance_id::text as instance_id, i.public_key, a.app_slug::text as app_slug,
      coalesce(a.app_name, i.app_name)::text as app_name, a.created_at as app_created_at,
      i.app_version::text as app_version, i.deployment_mode::text as deployment_mode,
      i.environment::text as environment, i.os_arch::text as os_arch,
      i.status::text as status, i.created_at, i.last_seen_at
    from instances i
    left join applications a on a.id = i.application_id
    order by i.created_at nulls first, i.instance_id`);
  return rows.map((r) => ({
    instanceId: r.instance_id,
    publicKey: r.public_key === null ? null : new Uint8Array(r.public_key),
    appSlug: r.app_slug,
    appName: r.app_name,
    appCreatedAt: r.app_created_at,
    appVersion: r.app_version,
    deploymentMode: r.deployment_mode,
    environment: r.environment,
    osArch: r.os_arch,
    status: r.status,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
  }));
}

/**
 * One page of an instance's snapshots in time order, those after the
 * keyset `after` (the last row of the previous page), at most `limit`.
 */
export async function readOriginalSnapshots(
  db: Database,
  instanceId: string,
  options: { after: OriginalSnapshot | null; limit: number },
): Promise<OriginalSnapshot[]> {
  const after = options.after;
  const rows = await db.query<{ id: string; snapshot_at: Date; data: string | null }>(sql`
    select id::text as id, snapshot_at, data::text as data from snapshots
    where instance_id = ${instanceId}::uuid and snapshot_at is not null
      and (${after === null} or (snapshot_at, id) > (${after?.takenAt ?? null}::timestamptz,
        ${after?.id ?? null}::bigint))
    order by snapshot_at, id
    limit ${options.limit}`);
  return rows.map((r) => ({
    id: r.id,
    takenAt: r.snapshot_at,
    data: r.data === null ? null : JSON.parse(r.data),
  }));
}

/** An original application's GitHub link and the stars the original last read of it. */
export interface OriginalGithubLink {
  readonly appSlug: string;
  /** `applications.github_url` as the original holds it (a URL, by its forms). */
  readonly githubUrl: string;
  readonly stars: number | null;
  readonly starsUpdatedAt: Date | null;
}

/**
 * Every original application with a GitHub link, by slug. The columns are
 * read through the row's JSON, so an original without `github_stars` or
 * `github_stars_updated_at` (or without `github_url`: then none) still reads.
 */
export async function listOriginalGithubLinks(db: Database): Promise<OriginalGithubLink[]> {
  const rows = await db.query<{
    app_slug: string;
    github_url: string;
    stars: string | null;
    stars_updated_at: string | null;
  }>(sql`
    select a.app_slug::text as app_slug, j ->> 'github_url' as github_url,
      j ->> 'github_stars' as stars, j ->> 'github_stars_updated_at' as stars_updated_at
    from applications a cross join lateral (select to_jsonb(a) as j) row
    where coalesce(j ->> 'github_url', '') <> ''
    order by a.app_slug`);
  return rows.map((r) => {
    const stars = r.stars === null ? NaN : Number(r.stars);
    const updated = r.stars_updated_at === null ? NaN : Date.parse(r.stars_updated_at);
    return {
      appSlug: r.app_slug,
      githubUrl: r.github_url,
      stars: Number.isSafeInteger(stars) ? stars : null,
      starsUpdatedAt: Number.isNaN(updated) ? null : new Date(updated),
    };
  });
}
