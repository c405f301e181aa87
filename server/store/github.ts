/**
 * An application's GitHub repository and what was last read of it
 * (`github_repos`, `github_releases`, migration 0010): set by its owner,
 * claimed by the upkeep when due (under the upkeep's advisory lock, so one
 * server reads a repository at a time), and the outcome of each read.
 */

import { type Database, sql } from "./drivers/database.ts";
import { MAINTENANCE_LOCK_KEY } from "./snapshot_partitions.ts";

/** One published release, as stored. */
export interface GithubReleaseRow {
  readonly tag: string;
  readonly publishedAt: Date;
  /** GitHub's `created_at`; null on a row read before migration 0013. */
  readonly createdAt: Date | null;
}

/** An application's repository and what its last read found. */
export interface GithubRepoRow {
  readonly appId: number;
  /** `owner/name`. */
  readonly repo: string;
  /** Null until a read succeeded. */
  readonly stars: number | null;
  /** When it was last read, successfully or not; null before the first read. */
  readonly checkedAt: Date | null;
  /** Why the last read failed; null when it worked (or none was made). */
  readonly error: string | null;
  readonly nextCheckAt: Date;
}

/** A repository the upkeep claimed to read. */
export interface DueGithubRepo {
  readonly appId: number;
  readonly repo: string;
}

/** What one read of a repository found: its stars and published releases, or why it failed. */
export type GithubReadOutcome =
  | {
    readonly ok: true;
    readonly stars: number;
    readonly releases: readonly (GithubReleaseRow & { readonly createdAt: Date })[];
  }
  | { readonly ok: false; readonly error: string };

const REPO_COLUMNS = sql`app_id as "appId", repo, stars, checked_at as "checkedAt", error,
  next_check_at as "nextCheckAt"`;

/**
 * Sets application `appId`'s repository (null removes it with what was read
 * of it). A repository other than the one set starts over, due at `now`;
 * the same one is left as it is. Run it inside the settings' transaction.
 */
export async function setGithubRepo(
  db: Database,
  options: { appId: number; repo: string | null; now: Date },
): Promise<void> {
  if (options.repo === null) {
    await db.query(sql`delete from github_repos where app_id = ${options.appId}`);
    return;
  }
  await db.query(sql`
    delete from github_repos where app_id = ${options.appId} and repo <> ${options.repo}`);
  await db.query(sql`
    insert into github_repos (app_id, repo, next_check_at)
    values (${options.appId}, ${options.repo}, ${options.now})
    on conflict (app_id) do nothing`);
}

/** Application `appId`'s repository and its last read; null when none is set. */
export async function findGithubRepo(db: Database, appId: number): Promise<GithubRepoRow | null> {
  const [row] = await db.query<GithubRepoRow>(sql`
    select ${REPO_COLUMNS} from github_repos where app_id = ${appId}`);
  return row ?? null;
}

/**
 * Application `appId`'s stored releases, newest first as GitHub orders its
 * latest (by `created_at`, then `published_at`, then tag), at most `limit`.
 * A row read before migration 0013 has no `created_at` and is ordered by its
 * `published_at` instead, until the next hourly read replaces it.
 */
export async function listGithubReleases(
  db: Database,
  options: { appId: number; limit: number },
): Promise<GithubReleaseRow[]> {
  return await db.query<GithubReleaseRow>(sql`
    select tag, published_at as "publishedAt", created_at as "createdAt" from github_releases
    where app_id = ${options.appId}
    order by coalesce(created_at, published_at) desc, published_at desc, tag desc
    limit ${options.limit}`);
}

/** The stars of every application whose repository was read, by application slug. */
export async function listGithubStars(db: Database): Promise<Map<string, number>> {
  const rows = await db.query<{ slug: string; stars: number }>(sql`
    select a.slug, g.stars from github_repos g join applications a on a.id = g.app_id
    where g.stars is not null`);
  return new Map(rows.map((row) => [row.slug, row.stars]));
}

/**
 * Claims at most `limit` repositories due at `now` (oldest due first) by
 * moving their next read to `leaseUntil`, so that no other server reads them
 * meanwhile; under the upkeep's advisory lock. Answers none when another
 * server holds the lock.
 */
export async function claimDueGithubRepos(
  db: Database,
  options: { now: Date; leaseUntil: Date; limit: number },
): Promise<DueGithubRepo[]> {
  return await db.transaction(async (tx) => {
    const [lock] = await tx.query<{ locked: boolean }>(
      sql`select pg_try_advisory_xact_lock(${MAINTENANCE_LOCK_KEY}::bigint) as locked`,
    );
    if (!lock?.locked) return [];
    return await tx.query<DueGithubRepo>(sql`
      update github_repos g set next_check_at = ${options.leaseUntil}
      from (
        select app_id from github_repos where next_check_at <= ${options.now}
        order by next_check_at, app_id limit ${options.limit}
      ) due
      where g.app_id = due.app_id
      returning g.app_id as "appId", g.repo`);
  });
}

/**
 * Stores the outcome of reading `repo` for application `appId` at
 * `checkedAt`, and when to read it next: on success its stars and releases
 * replace those stored and the error is cleared; on failure the error is
 * noted and what was read before stays. Nothing is written when the
 * application's repository is no longer `repo` (changed meanwhile).
 */
export async function saveGithubRead(
  db: Database,
  options: {
    appId: number;
    repo: string;
    checkedAt: Date;
    nextCheckAt: Date;
    outcome: GithubReadOutcome;
  },
): Promise<void> {
  const { outcome } = options;
  await db.transaction(async (tx) => {
    const updated = await tx.query(sql`
      update github_repos set checked_at = ${options.checkedAt},
        next_check_at = ${options.nextCheckAt},
        error = ${outcome.ok ? null : outcome.error},
        stars = case when ${outcome.ok} then ${outcome.ok ? outcome.stars : null}::int
          else stars end
      where app_id = ${options.appId} and repo = ${options.repo}
      returning 1`);
    if (updated.length === 0 || !outcome.ok) return;
    await tx.query(sql`delete from github_releases where app_id = ${options.appId}`);
    if (outcome.releases.length === 0) return;
    await tx.query(sql`
      insert into github_releases (app_id, tag, published_at, created_at)
      select ${options.appId}, r.tag, r.published_at, r.created_at
      from unnest(${outcome.releases.map((r) => r.tag)}::text[],
        ${outcome.releases.map((r) => r.publishedAt.toISOString())}::timestamptz[],
        ${outcome.releases.map((r) => r.createdAt.toISOString())}::timestamptz[])
        as r(tag, published_at, created_at)
      on conflict (app_id, tag) do nothing`);
  });
}
