/** What the numbers need: the store, the clock, and what "active" means. */

import type { Database } from "../store/mod.ts";

/** The dependencies and settings of `stats`, built once at start. */
export interface StatsContext {
  readonly db: Database;
  readonly now: () => Date;
  /** An instance is active when its last sign of life is at most this many days old. */
  readonly activeDays: number;
}

/** The oldest last-seen time that still counts as active. */
export function activeSince(ctx: StatsContext): Date {
  return new Date(ctx.now().getTime() - ctx.activeDays * 86_400_000);
}
