/**
 * Fleet-wide and per-application numbers, shaped as the admin API returns
 * them, from each application's summary of its latest state (as of the
 * upkeep's last round, given as `computed_at`).
 */

import {
  type ApplicationSummary,
  findApplication,
  findSummaryFigures,
  listApplicationSummaries,
} from "../store/mod.ts";
import type { StatsContext } from "./context.ts";

/** Totals over every application; `computed_at` is the oldest summary's time. */
export async function fleetSummary(ctx: StatsContext) {
  const apps = await listApplicationSummaries(ctx.db);
  const total = (pick: (app: ApplicationSummary) => number) =>
    apps.reduce((sum, app) => sum + pick(app), 0);
  return {
    applications: apps.length,
    instances: {
      total: total((app) => app.instances),
      active: total((app) => app.active),
      pending: total((app) => app.pending),
      revoked: total((app) => app.revoked),
    },
    active_window_days: ctx.activeDays,
    computed_at: oldest(apps.map((app) => app.computedAt)),
  };
}

/** Every application with its instance counts and last sign of life, by slug. */
export async function applicationsOverview(ctx: StatsContext) {
  const rows = await listApplicationSummaries(ctx.db);
  return { applications: rows.map(applicationView), active_window_days: ctx.activeDays };
}

/**
 * One application with its active instances broken down by version,
 * platform, environment and deployment mode (the most common values); null
 * when the slug is unknown.
 */
export async function applicationDetail(ctx: StatsContext, slug: string) {
  const app = await findApplication(ctx.db, slug);
  if (app === null) return null;
  const row: ApplicationSummary = { ...app, ...await findSummaryFigures(ctx.db, app.id) };
  return {
    ...applicationView(row),
    active_window_days: ctx.activeDays,
    active_instances_by: row.breakdowns,
  };
}

function applicationView(row: ApplicationSummary) {
  return {
    slug: row.slug,
    name: row.name,
    created_at: row.createdAt.toISOString(),
    instances: { total: row.instances, active: row.active },
    last_seen: row.lastSeen?.toISOString() ?? null,
    computed_at: row.computedAt?.toISOString() ?? null,
  };
}

function oldest(times: readonly (Date | null)[]): string | null {
  if (times.length === 0 || times.some((t) => t === null)) return null;
  return new Date(Math.min(...times.map((t) => t!.getTime()))).toISOString();
}
