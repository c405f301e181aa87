/**
 * What an application's GitHub repository tells about its fleet: the stars
 * and latest release as last read, the share of active instances already on
 * the latest release, and how long earlier releases took to reach half of
 * the instances reporting (from the daily version rollups). Domain values
 * only; the admin API's JSON and the pages are made in `http/` and `ui/`.
 */

import {
  appDayRows,
  appDayShareRows,
  findApplication,
  findGithubRepo,
  findSummaryFigures,
  type GithubReleaseRow,
  listGithubReleases,
  listGithubStars,
} from "../store/mod.ts";
import { type StatsContext, UNKNOWN_APP, type UnknownApp } from "../stats/mod.ts";

/**
 * A stored release: its tag, when it was published, and GitHub's
 * `created_at` (null on a row read before migration 0013).
 */
export type StoredRelease = GithubReleaseRow;

/** An application's repository as last read. */
export interface GithubStatus {
  /** `owner/name`. */
  readonly repo: string;
  /** Null until a read succeeded. */
  readonly stars: number | null;
  /**
   * GitHub's latest release: the newest by `created_at` that is neither a
   * draft nor a prerelease; null when none.
   */
  readonly latestRelease: StoredRelease | null;
  /** When it was last read; null before the first read (due within a minute of being set). */
  readonly checkedAt: Date | null;
  /** Why the last read failed; null when it worked. */
  readonly error: string | null;
}

/** An application's repository and its releases, with the fleet's uptake of the latest. */
export interface ReleaseFigures {
  readonly kind: "found";
  /** Null when no repository is set. */
  readonly github: GithubStatus | null;
  /** Published releases, newest first by `created_at` as GitHub orders them (at most 100). */
  readonly releases: readonly StoredRelease[];
  /**
   * Share (0 to 1) of the active instances that run the latest release's
   * version (the tag, with or without a leading `v`); null with no latest
   * release or no active instance.
   */
  readonly latestReleaseShare: number | null;
  /** Active instances the share is taken of (0, not read, when no repository is set). */
  readonly activeInstances: number;
  /** Whether the application's public badges answer. */
  readonly publicBadges: boolean;
}

/** How long one earlier release took to reach half of the instances reporting. */
export interface ReleaseUptake {
  readonly release: StoredRelease;
  /** Whole days from its publication's day to the first day it ran on half; null: not yet. */
  readonly daysToHalf: number | null;
}

/** The releases whose uptake is told, at most. */
const UPTAKES_TOLD = 10;
/** The daily rollups looked at for uptakes, at most (days). */
const UPTAKE_WINDOW_DAYS = 400;

/**
 * Application `slug`'s repository, releases and the share of its active
 * instances on the latest release; `unknown_app` when no application has
 * that slug.
 */
export async function releaseFigures(
  ctx: StatsContext,
  slug: string,
): Promise<ReleaseFigures | UnknownApp> {
  const app = await findApplication(ctx.db, slug);
  if (app === null) return UNKNOWN_APP;
  const repo = await findGithubRepo(ctx.db, app.id);
  if (repo === null) {
    return {
      kind: "found",
      github: null,
      releases: [],
      latestReleaseShare: null,
      activeInstances: 0,
      publicBadges: app.publicBadges,
    };
  }
  const summary = await findSummaryFigures(ctx.db, app.id, { scope: "counted" });
  const releases = await listGithubReleases(ctx.db, { appId: app.id, limit: 100 });
  const latest = releases[0] ?? null;
  let share: number | null = null;
  if (latest !== null && summary.active > 0) {
    const onLatest = summary.breakdowns.app_version
      .filter((row) => row.value !== null && versionIsTag(row.value, latest.tag))
      .reduce((sum, row) => sum + row.instances, 0);
    share = Math.min(1, onLatest / summary.active);
  }
  return {
    kind: "found",
    github: {
      repo: repo.repo,
      stars: repo.stars,
      latestRelease: latest,
      checkedAt: repo.checkedAt,
      error: repo.error,
    },
    releases,
    latestReleaseShare: share,
    activeInstances: summary.active,
    publicBadges: app.publicBadges,
  };
}

/**
 * For each of the releases before the latest (newest first, at most 10,
 * published in the last 400 days), the whole days from its publication's
 * UTC day to the first day on which its version ran on at least half of
 * the instances reporting, from application `appSlug`'s daily rollups.
 */
export async function releaseUptakes(
  ctx: StatsContext,
  options: { slug: string; releases: readonly StoredRelease[] },
): Promise<ReleaseUptake[]> {
  const today = ctx.now();
  const from = new Date(today.getTime() - UPTAKE_WINDOW_DAYS * 86_400_000);
  const earlier = options.releases.slice(1, UPTAKES_TOLD + 1)
    .filter((release) => release.publishedAt >= from);
  if (earlier.length === 0) return [];
  const app = await findApplication(ctx.db, options.slug);
  if (app === null) return [];
  const oldest = earlier.at(-1)!.publishedAt.toISOString().slice(0, 10);
  const range = {
    appId: app.id,
    scope: "counted" as const,
    fromDay: oldest,
    toDay: today.toISOString().slice(0, 10),
  };
  const [days, shares] = await Promise.all([
    appDayRows(ctx.db, range),
    appDayShareRows(ctx.db, range),
  ]);
  const versionsByDay = new Map<string, { value: string | null; instances: number }[]>();
  for (const row of shares) {
    if (row.field !== "version") continue;
    const list = versionsByDay.get(row.day) ?? [];
    list.push(row);
    versionsByDay.set(row.day, list);
  }
  return earlier.map((release) => {
    const publishedDay = release.publishedAt.toISOString().slice(0, 10);
    const reached = days.find((day) => {
      if (day.day < publishedDay || day.reporting === 0) return false;
      const onIt = (versionsByDay.get(day.day) ?? [])
        .filter((row) => row.value !== null && versionIsTag(row.value, release.tag))
        .reduce((sum, row) => sum + row.instances, 0);
      return onIt * 2 >= day.reporting;
    });
    return {
      release,
      daysToHalf: reached === undefined
        ? null
        : Math.round((Date.parse(reached.day) - Date.parse(publishedDay)) / 86_400_000),
    };
  });
}

/** The stars of every application whose repository was read, by slug (the overview's cards). */
export async function starsBySlug(ctx: StatsContext): Promise<Map<string, number>> {
  return await listGithubStars(ctx.db);
}

/**
 * Whether an instance's reported `version` is the release `tag`: equal
 * once a leading `v` or `V` is taken off either.
 */
export function versionIsTag(version: string, tag: string): boolean {
  const bare = (text: string) => text.trim().replace(/^[vV](?=\d)/, "");
  return bare(version) === bare(tag);
}
