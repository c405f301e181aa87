/**
 * The upkeep's GitHub loop: every 30 seconds, the applications' repositories
 * that are due (set a moment ago, or read an hour ago) are read
 * (`server/github/`), so that a repository just set is read within a minute.
 * A failed read is the repository's note on its settings page; only a store
 * failure is logged, once per streak.
 */

import type { Config } from "../config.ts";
import { refreshGithubRepos } from "../github/mod.ts";
import type { Database } from "../store/mod.ts";
import type { FailureStreak } from "./failure_streak.ts";

/** How often the loop looks for repositories that are due. */
export const GITHUB_POLL_MS = 30_000;

/**
 * Runs GitHub rounds every {@linkcode GITHUB_POLL_MS} (the first at once)
 * until `signal` aborts; resolves when the loop has ended. The timers do not
 * keep the process alive.
 */
export async function githubReadLoop(
  db: Database,
  options: { config: Config; streak: FailureStreak; signal: AbortSignal },
): Promise<void> {
  const { config, streak, signal } = options;
  while (!signal.aborted) {
    try {
      const report = await refreshGithubRepos(db, {
        settings: { apiUrl: config.githubApiUrl, token: config.githubToken },
        now: () => new Date(),
        signal,
      });
      if (report.read || report.failed) {
        streak.log.info("github reads", {
          read: report.read,
          failed: report.failed,
          ...(report.rateLimitedUntil === null
            ? {}
            : { rate_limited_until: report.rateLimitedUntil.toISOString() }),
        });
      }
      streak.succeeded();
    } catch (error) {
      if (!signal.aborted) streak.failed(error);
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, GITHUB_POLL_MS);
      Deno.unrefTimer(timer);
      signal.addEventListener("abort", done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
    });
  }
}
