/** The numbers of the overview page: one card per application. */

import { listApplications, topVersionByApp } from "../store/mod.ts";
import { activeSince, type StatsContext } from "./context.ts";

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

/** Every application, by slug, with what its overview card shows. */
export async function dashboardOverview(
  ctx: StatsContext,
): Promise<{ applications: ApplicationCard[]; activeDays: number }> {
  const since = activeSince(ctx);
  const [apps, tops] = await Promise.all([
    listApplications(ctx.db, { activeSince: since }),
    topVersionByApp(ctx.db, { activeSince: since }),
  ]);
  const topByApp = new Map(tops.map((row) => [row.appId, row]));
  return {
    activeDays: ctx.activeDays,
    applications: apps.map((app) => {
      const top = topByApp.get(app.id);
      return {
        slug: app.slug,
        name: app.name,
        activeInstances: app.active,
        totalInstances: app.instances,
        topVersion: top === undefined ? null : { version: top.version, instances: top.instances },
        lastSeen: app.lastSeen,
      };
    }),
  };
}
