/** The numbers of the overview page: one card per application. */

import { activeOnDays, listApplicationSummaries } from "../store/mod.ts";
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
  /**
   * Active instances today against seven days before, from the daily
   * rollups; null when either day has no rollup or the earlier count is zero.
   */
  readonly trend: { readonly from: number; readonly to: number } | null;
}

/** How many days back the overview's trend looks. */
export const TREND_DAYS = 7;

/**
 * Every application, by slug, with what its overview card shows (as of its
 * last summary), its excluded environments left out.
 */
export async function dashboardOverview(
  ctx: StatsContext,
): Promise<{ applications: ApplicationCard[]; activeDays: number }> {
  const today = ctx.now().toISOString().slice(0, 10);
  const weekAgo = new Date(ctx.now().getTime() - TREND_DAYS * 86_400_000).toISOString().slice(
    0,
    10,
  );
  const [apps, actives] = await Promise.all([
    // The overview is a public-facing figure: excluded environments are left out.
    listApplicationSummaries(ctx.db, { scope: "counted" }),
    activeOnDays(ctx.db, { days: [weekAgo, today], scope: "counted" }),
  ]);
  const activeOn = new Map(actives.map((row) => [`${row.appId} ${row.day}`, row.active]));
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
        trend: trendOf(activeOn.get(`${app.id} ${weekAgo}`), activeOn.get(`${app.id} ${today}`)),
      };
    }),
  };
}

function trendOf(from: number | undefined, to: number | undefined) {
  return from === undefined || to === undefined || from === 0 ? null : { from, to };
}
