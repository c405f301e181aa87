/**
 * `shm import-shm`: brings the original SHM server's applications, instances
 * (with their ids, keys and status) and snapshots into this store, through
 * the store's own writes and ingestion's metric rules, and each
 * application's GitHub link as its repository (with the stars last read).
 * Safe to run again.
 */

import { ClientError } from "../errors.ts";
import { isInstanceStatus } from "../../shared/instance_status.ts";
import { METADATA_MAX_LENGTHS } from "../../shared/instance_metadata.ts";
import { isAppSlug, isDisplayText } from "../../shared/text_rules.ts";
import { appSlug, flattenMetrics, MAX_FUTURE_SKEW_MS } from "../ingest/mod.ts";
import { parseGithubRepo } from "../github/mod.ts";
import {
  checkOriginalSchema,
  type Database,
  type ImportedInstance,
  type ImportedSnapshot,
  importGithubLink,
  importInstance,
  importSnapshots,
  listOriginalGithubLinks,
  listOriginalInstances,
  maintainSnapshots,
  type OriginalInstance,
  type OriginalSnapshot,
  readOriginalSnapshots,
} from "../store/mod.ts";

/** Snapshots read from the source and written per statement. */
const PAGE_SIZE = 1000;

/** The counts `shm import-shm` reports at the end. */
export interface ImportReport {
  applications: { seen: number; created: number };
  instances: {
    seen: number;
    created: number;
    /** Already here with the same key: merged, nothing duplicated. */
    merged: number;
    /** Already here with another key: left as they are, their snapshots not imported. */
    keyConflicts: number;
    /** Not importable (no 32-byte key, unknown status): listed in `problems`. */
    skipped: number;
  };
  snapshots: {
    read: number;
    stored: number;
    /** Not newer than what this store already holds (a second import lands here). */
    alreadyPresent: number;
    /** Refused by ingestion's rules: not an object, too many keys, too deep, in the future. */
    refused: number;
    /** Metric values dropped from the snapshots read (arrays, long strings, bad keys). */
    droppedMetrics: number;
  };
  github: {
    /** Applications of the original with a GitHub link. */
    seen: number;
    /** Set here as the application's repository, to be read within a minute of the server running. */
    set: number;
    /** Not set: the application here has a repository already (a second import lands here). */
    alreadySet: number;
    /** Not set: not a github.com repository link, or no such application here. */
    skipped: number;
  };
  /** One line per instance or GitHub link skipped or conflicting, at most 100. */
  problems: string[];
}

/** Options of {@linkcode importOriginalShm}. */
export interface ImportOptions {
  /** The time the import runs at (raw snapshot window, future check). */
  now: Date;
  /** Days of raw snapshots kept, as the server's setting. */
  rawRetentionDays: number;
  /** Called after each instance, for progress output. */
  onInstance?: (done: number, total: number) => void;
}

/**
 * Copies everything from `source` (an original SHM database) into `target`
 * (this server's migrated store) and returns the counts. Throws before
 * writing anything when `source` does not have the original schema.
 */
export async function importOriginalShm(
  source: Database,
  target: Database,
  options: ImportOptions,
): Promise<ImportReport> {
  await checkOriginalSchema(source);
  // Today's partitions first, so that raw rows of today do not settle in the default one.
  await maintainSnapshots(target, { today: options.now, retentionDays: options.rawRetentionDays });
  const report: ImportReport = {
    applications: { seen: 0, created: 0 },
    instances: { seen: 0, created: 0, merged: 0, keyConflicts: 0, skipped: 0 },
    snapshots: { read: 0, stored: 0, alreadyPresent: 0, refused: 0, droppedMetrics: 0 },
    github: { seen: 0, set: 0, alreadySet: 0, skipped: 0 },
    problems: [],
  };
  const problem = (line: string) => {
    if (report.problems.length < 100) report.problems.push(line);
  };
  const rawSince = new Date(options.now.getTime() - options.rawRetentionDays * 86_400_000);
  const slugs = new Set<string>();
  const originals = await listOriginalInstances(source);
  for (const [index, original] of originals.entries()) {
    report.instances.seen++;
    const checked = checkInstance(original, options.now);
    if (typeof checked === "string") {
      report.instances.skipped++;
      problem(`instance ${original.instanceId}: skipped, ${checked}`);
      continue;
    }
    slugs.add(checked.appSlug);
    const outcome = await importInstance(target, checked);
    if (outcome.applicationCreated) report.applications.created++;
    if (outcome.instance === "key_conflict") {
      report.instances.keyConflicts++;
      problem(`instance ${original.instanceId}: already here with another public key, left as is`);
      continue;
    }
    report.instances[outcome.instance]++;
    await copySnapshots(source, target, original.instanceId, { ...options, rawSince, report });
    options.onInstance?.(index + 1, originals.length);
  }
  report.applications.seen = slugs.size;
  await importGithubLinks(source, target, { now: options.now, report, problem, slugs });
  return report;
}

/** Longest star count believed, as the GitHub reader believes it. */
const MAX_STARS = 1_000_000_000;

/**
 * Each original application's GitHub link as its repository here, when the
 * link names a github.com repository by GitHub's rules and the application
 * (imported with its instances) has none yet; the stars the original read
 * come along, and the upkeep reads the repository at once.
 */
async function importGithubLinks(
  source: Database,
  target: Database,
  context: {
    now: Date;
    report: ImportReport;
    problem: (line: string) => void;
    slugs: ReadonlySet<string>;
  },
): Promise<void> {
  const counts = context.report.github;
  for (const link of await listOriginalGithubLinks(source)) {
    counts.seen++;
    const repo = githubRepoOfUrl(link.githubUrl);
    if (repo === null || !context.slugs.has(link.appSlug)) {
      counts.skipped++;
      context.problem(
        repo === null
          ? `application ${link.appSlug}: GitHub link ${
            JSON.stringify(link.githubUrl.slice(0, 200))
          } names no github.com repository, not set`
          : `application ${link.appSlug}: GitHub link not set, as no instance brought the application`,
      );
      continue;
    }
    const stars = link.stars !== null && link.stars >= 0 && link.stars <= MAX_STARS
      ? link.stars
      : null;
    const set = await importGithubLink(target, {
      appSlug: link.appSlug,
      repo,
      stars,
      checkedAt: stars === null ? null : link.starsUpdatedAt,
      now: context.now,
    });
    if (set) counts.set++;
    else counts.alreadySet++;
  }
}

/**
 * The `owner/name` of a GitHub link as the original takes it
 * (`https://github.com/owner/name`, with `www.`, a trailing `/` or `.git`,
 * or `owner/name` alone), checked by GitHub's rules; null for anything else.
 */
export function githubRepoOfUrl(link: string): string | null {
  const text = link.trim();
  const match =
    /^(?:(?:https?:\/\/)?(?:www\.)?github\.com\/)?([^/?#\s]+\/[^/?#\s]+?)(?:\.git)?\/?$/i
      .exec(text);
  if (match === null) return null;
  const reading = parseGithubRepo(match[1]);
  return reading.ok ? reading.repo : null;
}

/** The instance as our store takes it, or why it cannot be taken. */
function checkInstance(original: OriginalInstance, now: Date): ImportedInstance | string {
  if (original.publicKey === null || original.publicKey.length !== 32) {
    return `its public key is not 32 bytes (${original.publicKey?.length ?? "none"})`;
  }
  const status = original.status?.trim().toLowerCase() ?? "";
  if (!isInstanceStatus(status)) return `its status "${original.status}" is unknown`;
  // A name with control or bidirectional characters is not shown: the slug stands in for it.
  const typed = text(original.appName, METADATA_MAX_LENGTHS.app_name);
  const name = typed !== null && isDisplayText(typed) ? typed : null;
  const slug = original.appSlug !== null && isAppSlug(original.appSlug)
    ? original.appSlug
    : appSlug(typed ?? "");
  const firstSeen = original.createdAt ?? original.lastSeenAt ?? now;
  const lastSeen = original.lastSeenAt !== null && original.lastSeenAt > firstSeen
    ? original.lastSeenAt
    : firstSeen;
  return {
    instanceId: original.instanceId,
    publicKey: original.publicKey,
    status,
    appSlug: slug,
    appName: name ?? slug,
    appCreatedAt: original.appCreatedAt ?? firstSeen,
    appVersion: text(original.appVersion, METADATA_MAX_LENGTHS.app_version) ?? "unknown",
    environment: text(original.environment, METADATA_MAX_LENGTHS.environment),
    deploymentMode: text(original.deploymentMode, METADATA_MAX_LENGTHS.deployment_mode),
    osArch: text(original.osArch, METADATA_MAX_LENGTHS.os_arch),
    firstSeen,
    lastSeen,
  };
}

/** A trimmed, non-empty text within `max` characters (as ingestion takes it), else null. */
function text(value: string | null, max: number): string | null {
  const trimmed = value?.trim() ?? "";
  return trimmed === "" || [...trimmed].length > max ? null : trimmed;
}

async function copySnapshots(
  source: Database,
  target: Database,
  instanceId: string,
  context: { now: Date; rawSince: Date; report: ImportReport },
): Promise<void> {
  const counts = context.report.snapshots;
  const latestAllowed = context.now.getTime() + MAX_FUTURE_SKEW_MS;
  let after: OriginalSnapshot | null = null;
  for (;;) {
    const page = await readOriginalSnapshots(source, instanceId, { after, limit: PAGE_SIZE });
    if (page.length === 0) return;
    after = page[page.length - 1] ?? null;
    counts.read += page.length;
    const batch: ImportedSnapshot[] = [];
    for (const snapshot of page) {
      if (snapshot.takenAt.getTime() > latestAllowed) {
        counts.refused++;
        continue;
      }
      try {
        const flat = flattenMetrics(snapshot.data);
        counts.droppedMetrics += flat.dropped.length;
        batch.push({ takenAt: snapshot.takenAt, metrics: flat.metrics });
      } catch (error) {
        if (!(error instanceof ClientError)) throw error;
        counts.refused++;
      }
    }
    const stored = await importSnapshots(target, instanceId, batch, {
      rawSince: context.rawSince,
    });
    counts.stored += stored;
    counts.alreadyPresent += batch.length - stored;
  }
}
