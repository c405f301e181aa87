/** The dashboard's embedded assets, its overview, an application's page and its figures as CSV. */

import {
  applicationPage,
  type ApplicationPageFigures,
  dashboardOverview,
  type DashboardPeriod,
  isDashboardPeriod,
  isEnvironmentChoice,
  type StatsContext,
} from "../stats/mod.ts";
import { releaseFigures, releaseUptakes, starsBySlug } from "../github/mod.ts";
import { AppPage, type Breakdown } from "../ui/AppPage.tsx";
import { appPageCharts } from "../ui/app_page_charts.ts";
import { assetResponse } from "../ui/assets.ts";
import { MessagePage } from "../ui/MessagePage.tsx";
import { OverviewPage } from "../ui/OverviewPage.tsx";
import { type CsvField, csvResponse } from "./csv.ts";
import { page, viewerOf } from "./page_support.ts";
import type { Handler } from "./route_declaration.ts";

/**
 * The handlers of `GET /assets/{asset}` (public), `/` (the overview),
 * `/apps/{slug}` (an application's page, `?period=`, `?environments=all` to
 * count the excluded environments too) and
 * `/apps/{slug}/export?chart=&period=&environments=` (one chart or table of
 * that page as CSV), the last three access `session`.
 */
export function dashboardHandlers(deps: { stats: StatsContext; now: () => Date }): {
  asset: Handler<"public">;
  overview: Handler<"session">;
  application: Handler<"session">;
  export: Handler<"session">;
} {
  const { stats, now } = deps;

  /** The period asked for and the application's figures over it, or the page that says why not. */
  const pageFigures = async (
    url: URL,
    slug: string,
    viewer: ReturnType<typeof viewerOf>,
  ): Promise<ApplicationPageFigures | Response> => {
    const periodText = url.searchParams.get("period") ?? "30d";
    if (!isDashboardPeriod(periodText)) {
      return page(
        MessagePage({
          title: "Unknown period",
          message: `Cannot show the period "${
            periodText.slice(0, 20)
          }": choose 24h, 7d, 30d, 90d or 1y.`,
          viewer,
        }),
        400,
      );
    }
    const environments = url.searchParams.get("environments") ?? "counted";
    if (!isEnvironmentChoice(environments)) {
      return page(
        MessagePage({
          title: "Unknown environments",
          message: `Cannot count the environments "${
            environments.slice(0, 20)
          }": choose all, or counted (without the excluded ones).`,
          viewer,
        }),
        400,
      );
    }
    const figures = await applicationPage(stats, slug, {
      period: periodText as DashboardPeriod,
      environments,
    });
    if (figures.kind === "unknown_app") {
      return page(
        MessagePage({
          title: "Not found",
          message: `No application has the slug "${slug.slice(0, 100)}".`,
          viewer,
        }),
        404,
      );
    }
    return figures;
  };

  return {
    asset: ({ request, url, params }) =>
      assetResponse(params["asset"] ?? "", request, url) ??
        page(MessagePage({ title: "Not found", message: "No such asset.", viewer: null }), 404),

    overview: async (ctx) => {
      const overview = await dashboardOverview(stats);
      const stars = await starsBySlug(stats);
      return page(OverviewPage({
        viewer: viewerOf(ctx.session),
        applications: overview.applications,
        stars,
        activeDays: overview.activeDays,
        serverUrl: ctx.facts.origin,
        now: now(),
      }));
    },

    application: async (ctx) => {
      const viewer = viewerOf(ctx.session);
      const slug = ctx.params["slug"] ?? "";
      const found = await pageFigures(ctx.url, slug, viewer);
      if (found instanceof Response) return found;
      const { activity, detail } = found;
      const releases = await releaseFigures(stats, slug);
      const uptakes = releases.kind === "found" && releases.github !== null
        ? await releaseUptakes(stats, { slug, releases: releases.releases })
        : [];
      return page(AppPage({
        viewer,
        activity,
        summary: {
          activeInstances: detail.activeInstances,
          totalInstances: detail.totalInstances,
          lastSeen: detail.lastSeen,
          activeDays: detail.activeDays,
          computedAt: detail.computedAt,
        },
        breakdowns: breakdownsOf(found),
        environments: found.environments,
        excluded: found.excluded,
        ...(releases.kind === "found" ? { releases: { figures: releases, uptakes } } : {}),
        now: now(),
      }));
    },

    export: async (ctx) => {
      const viewer = viewerOf(ctx.session);
      const slug = ctx.params["slug"] ?? "";
      const found = await pageFigures(ctx.url, slug, viewer);
      if (found instanceof Response) return found;
      const { activity } = found;
      const id = ctx.url.searchParams.get("chart") ?? "";
      const scope = found.environments === "all" ? "-all-environments" : "";
      const fileName = `${slug}-${id}-${activity.period}${scope}.csv`;
      const breakdown = breakdownsOf(found).find((b) => `now-${b.id}` === id);
      if (breakdown !== undefined) {
        return csvResponse(fileName, [
          ["value", "active_instances"],
          ...breakdown.rows.map((row): CsvField[] => [row.value ?? "unknown", row.instances]),
        ]);
      }
      const chart = appPageCharts(activity).find((c) => c.id === id);
      if (chart === undefined) {
        return page(
          MessagePage({
            title: "Not found",
            message: `The page of "${slug}" has no chart "${
              id.slice(0, 80)
            }" for this period: use the CSV link beside a chart.`,
            viewer,
          }),
          404,
        );
      }
      const columns = [...chart.series, ...chart.extraSeries ?? []];
      return csvResponse(fileName, [
        [activity.step === "hour" ? "hour" : "day", ...columns.map((s) => s.label)],
        ...activity.buckets.map((start, i): CsvField[] => [
          bucketLabel(start, activity.step),
          ...columns.map((s) => s.values[i] ?? null),
        ]),
      ]);
    },
  };
}

/** The breakdowns of active instances the application page shows, each with its export id. */
function breakdownsOf(figures: ApplicationPageFigures): Breakdown[] {
  const by = figures.detail.breakdowns;
  return [
    { id: "versions", title: "Versions", rows: by.app_version },
    { id: "platforms", title: "Platforms", rows: by.os_arch },
    { id: "environments", title: "Environments", rows: by.environment },
    { id: "deployment-modes", title: "Deployment modes", rows: by.deployment_mode },
  ];
}

/** A bucket's start as the CSV writes it: the UTC day, or the UTC hour. */
function bucketLabel(startSeconds: number, step: "hour" | "day"): string {
  const iso = new Date(startSeconds * 1000).toISOString();
  return step === "day" ? iso.slice(0, 10) : `${iso.slice(0, 13)}:00Z`;
}
