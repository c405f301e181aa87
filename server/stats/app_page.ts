/** Everything an application's page shows, from one look-up of the application. */

import { findApplication } from "../store/mod.ts";
import { activityOf, type ApplicationActivity, type DashboardPeriod } from "./app_activity.ts";
import type { StatsContext } from "./context.ts";
import { type ApplicationDetail, detailOf } from "./fleet.ts";
import { UNKNOWN_APP, type UnknownApp } from "./results.ts";

/** What the application page shows: its activity over the period and its latest figures. */
export interface ApplicationPageFigures {
  readonly kind: "found";
  readonly activity: ApplicationActivity;
  readonly detail: ApplicationDetail;
}

/**
 * Application `slug`'s activity over `period` and its latest figures and
 * breakdowns, the application looked up once; `unknown_app` when no
 * application has that slug.
 */
export async function applicationPage(
  ctx: StatsContext,
  slug: string,
  period: DashboardPeriod,
): Promise<ApplicationPageFigures | UnknownApp> {
  const app = await findApplication(ctx.db, slug);
  if (app === null) return UNKNOWN_APP;
  const [activity, detail] = await Promise.all([
    activityOf(ctx, app, period),
    detailOf(ctx, app),
  ]);
  return { kind: "found", activity, detail };
}
