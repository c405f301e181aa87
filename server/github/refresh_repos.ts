/**
 * The upkeep's GitHub job: the repositories that are due (just set, or read
 * an hour ago) are claimed under the upkeep's lock, read one after another,
 * and each outcome stored with its next read: an hour later, or when a rate
 * limit resets (the rest of the round then waits as well).
 */

import {
  claimDueGithubRepos,
  type Database,
  type GithubReadOutcome,
  saveGithubRead,
} from "../store/mod.ts";
import { type GithubApiSettings, readGithubRepo } from "./github_api.ts";

/** Time between two reads of a repository. */
export const GITHUB_READ_INTERVAL_MS = 60 * 60_000;
/** Repositories one round reads at most. */
const ROUND_SIZE = 50;
/** How long a claimed repository is left to the server that claimed it. */
const CLAIM_MS = 15 * 60_000;

/** What one round did. */
export interface GithubRoundReport {
  readonly read: number;
  readonly failed: number;
  /** When the rate limit met in this round resets; null when none was met. */
  readonly rateLimitedUntil: Date | null;
}

/**
 * Reads every repository due at `now()` (at most 50 a round) and stores
 * what each read found; stops between two reads when `signal` aborts. A
 * failed read is stored as its note, never thrown; a store failure throws.
 */
export async function refreshGithubRepos(
  db: Database,
  options: {
    settings: GithubApiSettings;
    now: () => Date;
    signal?: AbortSignal;
    /** Stands in for the global fetch (tests). */
    fetch?: typeof fetch;
  },
): Promise<GithubRoundReport> {
  const started = options.now();
  const due = await claimDueGithubRepos(db, {
    now: started,
    leaseUntil: new Date(started.getTime() + CLAIM_MS),
    limit: ROUND_SIZE,
  });
  let read = 0;
  let failed = 0;
  let rateLimit: { until: Date; note: string } | null = null;
  for (const { appId, repo } of due) {
    if (options.signal?.aborted) break;
    const checkedAt = options.now();
    let outcome: GithubReadOutcome;
    let nextCheckAt = new Date(checkedAt.getTime() + GITHUB_READ_INTERVAL_MS);
    if (rateLimit !== null) {
      // Asking again before the reset only spends the next window's allowance.
      outcome = { ok: false, error: rateLimit.note };
      nextCheckAt = rateLimit.until;
    } else {
      const answer = await readGithubRepo(repo, {
        settings: options.settings,
        now: checkedAt,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      });
      // A read cut short by the server stopping says nothing of GitHub: the claim runs out.
      if (options.signal?.aborted) break;
      if (answer.ok) {
        outcome = { ok: true, stars: answer.stars, releases: answer.releases };
      } else {
        outcome = { ok: false, error: answer.note };
        if (answer.problem === "rate_limited" && answer.retryAt !== null) {
          rateLimit = { until: answer.retryAt, note: answer.note };
          nextCheckAt = answer.retryAt;
        }
      }
    }
    if (outcome.ok) read++;
    else failed++;
    await saveGithubRead(db, { appId, repo, checkedAt, nextCheckAt, outcome });
  }
  return { read, failed, rateLimitedUntil: rateLimit?.until ?? null };
}
