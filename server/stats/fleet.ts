/**
 * Fleet-wide and per-application numbers from each application's summary of
 * its latest state (as of the upkeep's last round, given as `computedAt`).
 * Domain values only: the admin API's JSON is made in `http/admin_json.ts`.
 */

import {
  type Application,
  type ApplicationSummary,
  findApplication,
  findSummaryFigures,
  listApplicationSummaries,
  type RollupScope,
  type SummaryFigures,
} from "../store/mod.ts";
import type { StatsContext } from "./context.ts";
import { UNKNOWN_APP, type UnknownApp } from "./results.ts";

/** Totals over every application. */
export interface FleetSummary {
  readonly applications: number;
  readonly instances: {
    readonly total: number;
    readonly active: number;
    readonly pending: number;
    readonly revoked: number;
  };
  /** The active window, in days. */
  readonly activeDays: number;
  /** The oldest summary's time; null with no application or one not summarised yet. */
  readonly computedAt: Date | null;
}

/** One application's instance counts and last sign of life. */
export interface ApplicationFigures {
  readonly slug: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly totalInstances: number;
  readonly activeInstances: number;
  readonly lastSeen: Date | null;
  /** When its summary was computed; null before the first. */
  readonly computedAt: Date | null;
}

/** One application with its active instances broken down (the most common values first). */
export interface ApplicationDetail extends ApplicationFigures {
  readonly kind: "found";
  readonly activeDays: number;
  readonly breakdowns: SummaryFigures["breakdowns"];
}

/** Totals over every application; `computedAt` is the oldest summary's time. */
export async function fleetSummary(ctx: StatsContext): Promise<FleetSummary> {
  const apps = await listApplicationSummaries(ctx.db, { scope: "all" });
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
    activeDays: ctx.activeDays,
    computedAt: oldest(apps.map((app) => app.computedAt)),
  };
}

/** Every application with its instance counts and last sign of life, by slug. */
export async function applicationsOverview(
  ctx: StatsContext,
): Promise<{ applications: ApplicationFigures[]; activeDays: number }> {
  const rows = await listApplicationSummaries(ctx.db, { scope: "all" });
  return { applications: rows.map(figuresOf), activeDays: ctx.activeDays };
}

/**
 * Application `slug` with its active instances broken down by version,
 * platform, environment and deployment mode; `unknown_app` when no
 * application has that slug.
 */
export async function applicationDetail(
  ctx: StatsContext,
  slug: string,
): Promise<ApplicationDetail | UnknownApp> {
  const app = await findApplication(ctx.db, slug);
  if (app === null) return UNKNOWN_APP;
  return await detailOf(ctx, app);
}

/**
 * The detail of an application already found (the app page looks it up
 * once), in `scope`: every instance (the admin API) unless told `counted`.
 */
export async function detailOf(
  ctx: StatsContext,
  app: Application,
  options: { scope: RollupScope } = { scope: "all" },
): Promise<ApplicationDetail> {
  const row: ApplicationSummary = {
    ...app,
    ...await findSummaryFigures(ctx.db, app.id, options),
  };
  return {
    kind: "found",
    ...figuresOf(row),
    activeDays: ctx.activeDays,
    breakdowns: row.breakdowns,
  };
}

function figuresOf(row: ApplicationSummary): ApplicationFigures {
  return {
    slug: row.slug,
    name: row.name,
    createdAt: row.createdAt,
    totalInstances: row.instances,
    activeInstances: row.active,
    lastSeen: row.lastSeen,
    computedAt: row.computedAt,
  };
}

function oldest(times: readonly (Date | null)[]): Date | null {
  if (times.length === 0 || times.some((t) => t === null)) return null;
  return new Date(Math.min(...times.map((t) => t!.getTime())));
}
