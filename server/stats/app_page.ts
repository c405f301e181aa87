/** Everything an application's page shows, from one look-up of the application. */

import { findApplication, findSummaryFigures } from "../store/mod.ts";
import { activityOf, type ApplicationActivity, type DashboardPeriod } from "./app_activity.ts";
import type { StatsContext } from "./context.ts";
import { type ApplicationDetail, detailOf } from "./fleet.ts";
import { UNKNOWN_APP, type UnknownApp } from "./results.ts";

/**
 * Which instances the application page counts: `counted` leaves out the
 * application's excluded environments (the default, as badges and the
 * public page do), `all` counts every instance.
 */
export const ENVIRONMENT_CHOICES = ["counted", "all"] as const;

/** One of {@linkcode ENVIRONMENT_CHOICES}. */
export type EnvironmentChoice = (typeof ENVIRONMENT_CHOICES)[number];

/** Whether `text` names an environment choice. */
export function isEnvironmentChoice(text: string): text is EnvironmentChoice {
  return (ENVIRONMENT_CHOICES as readonly string[]).includes(text);
}

/** The active instances of the excluded environments, apart from the counted ones. */
export interface ExcludedActivity {
  /** The application's excluded environments (trimmed, lower-case). */
  readonly environments: readonly string[];
  /** Active instances in them: every active instance minus the counted ones. */
  readonly active: number;
  /** The same by environment (as its instances wrote it, trimmed and lower-cased), most first. */
  readonly byEnvironment: readonly { readonly environment: string; readonly instances: number }[];
}

/** What the application page shows: its activity over the period and its latest figures. */
export interface ApplicationPageFigures {
  readonly kind: "found";
  /** Which instances the activity and detail count. */
  readonly environments: EnvironmentChoice;
  readonly activity: ApplicationActivity;
  readonly detail: ApplicationDetail;
  readonly excluded: ExcludedActivity;
}

/**
 * Application `slug`'s activity over `period` and its latest figures and
 * breakdowns, of the instances `environments` names (`counted` unless told
 * `all`), with the active instances of its excluded environments counted
 * apart; the application looked up once. `unknown_app` when no application
 * has that slug.
 */
export async function applicationPage(
  ctx: StatsContext,
  slug: string,
  options: { period: DashboardPeriod; environments?: EnvironmentChoice },
): Promise<ApplicationPageFigures | UnknownApp> {
  const app = await findApplication(ctx.db, slug);
  if (app === null) return UNKNOWN_APP;
  const environments = options.environments ?? "counted";
  const other = environments === "all" ? "counted" : "all";
  const [activity, detail, otherFigures] = await Promise.all([
    activityOf(ctx, app, { period: options.period, scope: environments }),
    detailOf(ctx, app, { scope: environments }),
    findSummaryFigures(ctx.db, app.id, { scope: other }),
  ]);
  const allFigures = environments === "all"
    ? { active: detail.activeInstances, breakdowns: detail.breakdowns }
    : otherFigures;
  const countedActive = environments === "all" ? otherFigures.active : detail.activeInstances;
  const excluded = excludedActivity(app.excludedEnvironments, {
    allActive: allFigures.active,
    countedActive,
    byEnvironment: allFigures.breakdowns.environment,
  });
  return { kind: "found", environments, activity, detail, excluded };
}

/**
 * The excluded environments' active instances: the difference of the two
 * scopes' counts, and the all scope's environment breakdown folded to the
 * excluded names (its values trimmed and lower-cased, as the rollups compare).
 */
function excludedActivity(
  environments: readonly string[],
  figures: {
    allActive: number;
    countedActive: number;
    byEnvironment: readonly { readonly value: string | null; readonly instances: number }[];
  },
): ExcludedActivity {
  const counts = new Map<string, number>();
  for (const row of figures.byEnvironment) {
    const environment = row.value?.trim().toLowerCase();
    if (environment === undefined || !environments.includes(environment)) continue;
    counts.set(environment, (counts.get(environment) ?? 0) + row.instances);
  }
  return {
    environments: [...environments],
    active: Math.max(0, figures.allActive - figures.countedActive),
    byEnvironment: [...counts]
      .map(([environment, instances]) => ({ environment, instances }))
      .sort((a, b) => b.instances - a.instances || (a.environment < b.environment ? -1 : 1)),
  };
}
