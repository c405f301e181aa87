/** Fleet-wide and per-application numbers, shaped as the admin API returns them. */

import {
  type ApplicationRow,
  breakdownActiveInstances,
  countFleet,
  listApplications,
} from "../store/mod.ts";
import { activeSince, type StatsContext } from "./context.ts";

/** Totals over every application. */
export async function fleetSummary(ctx: StatsContext) {
  const counts = await countFleet(ctx.db, activeSince(ctx));
  return {
    applications: counts.applications,
    instances: {
      total: counts.instances,
      active: counts.active,
      pending: counts.pending,
      revoked: counts.revoked,
    },
    active_window_days: ctx.activeDays,
  };
}

/** Every application with its instance counts and last sign of life, by slug. */
export async function applicationsOverview(ctx: StatsContext) {
  const rows = await listApplications(ctx.db, { activeSince: activeSince(ctx) });
  return { applications: rows.map(applicationView), active_window_days: ctx.activeDays };
}

/**
 * One application with its active instances broken down by version,
 * platform, environment and deployment mode; null when the slug is unknown.
 */
export async function applicationDetail(ctx: StatsContext, slug: string) {
  const since = activeSince(ctx);
  const [row] = await listApplications(ctx.db, { activeSince: since, slug });
  if (row === undefined) return null;
  const by = (field: "app_version" | "os_arch" | "environment" | "deployment_mode") =>
    breakdownActiveInstances(ctx.db, { appId: row.id, activeSince: since, field });
  const [versions, platforms, environments, deploymentModes] = await Promise.all([
    by("app_version"),
    by("os_arch"),
    by("environment"),
    by("deployment_mode"),
  ]);
  return {
    ...applicationView(row),
    active_window_days: ctx.activeDays,
    active_instances_by: {
      app_version: versions,
      os_arch: platforms,
      environment: environments,
      deployment_mode: deploymentModes,
    },
  };
}

function applicationView(row: ApplicationRow) {
  return {
    slug: row.slug,
    name: row.name,
    created_at: row.createdAt.toISOString(),
    instances: { total: row.instances, active: row.active },
    last_seen: row.lastSeen?.toISOString() ?? null,
  };
}
