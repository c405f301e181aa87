/** The numbers of the overview page: one card per application. */

import { listApplicationSummaries } from "../store/mod.ts";
import type { StatsContext } from "./context.ts";

/** One application's card on the overview. */
export interface ApplicationCard {
  readonly slug: string;
  readonly name: string;
  readonly activeInstances: number;
  readonly totalInstances: number;
  /** The most used version among active instances, or null with none active. */
  readonly topVersion: { readonly version: string; readonly instances: number } | null;
  readonly lastSeen: Date | null;
}

/** Every application, by slug, with what its overview card shows (as of its last summary). */
export async function dashboardOverview(
  ctx: StatsContext,
): Promise<{ applications: ApplicationCard[]; activeDays: number }> {
  const apps = await listApplicationSummaries(ctx.db);
  return {
    activeDays: ctx.activeDays,
    applications: apps.map((app) => {
      const top = app.breakdowns.app_version[0];
      return {
        slug: app.slug,
        name: app.name,
        activeInstances: app.active,
        totalInstances: app.instances,
        topVersion: top === undefined || top.value === null
          ? null
          : { version: top.value, instances: top.instances },
        lastSeen: app.lastSeen,
      };
    }),
  };
}
