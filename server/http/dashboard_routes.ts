/** The dashboard's embedded assets, its overview and an application's page. */

import {
  applicationPage,
  dashboardOverview,
  isDashboardPeriod,
  type StatsContext,
} from "../stats/mod.ts";
import { AppPage } from "../ui/AppPage.tsx";
import { assetResponse } from "../ui/assets.ts";
import { MessagePage } from "../ui/MessagePage.tsx";
import { OverviewPage } from "../ui/OverviewPage.tsx";
import { page, viewerOf } from "./page_support.ts";
import type { Handler } from "./route_declaration.ts";

/**
 * The handlers of `GET /assets/{asset}` (public), `/` (the overview) and
 * `/apps/{slug}` (an application's page, `?period=`), both access `session`.
 */
export function dashboardHandlers(deps: { stats: StatsContext; now: () => Date }): {
  asset: Handler<"public">;
  overview: Handler<"session">;
  application: Handler<"session">;
} {
  const { stats, now } = deps;
  return {
    asset: ({ request, url, params }) =>
      assetResponse(params["asset"] ?? "", request, url) ??
        page(MessagePage({ title: "Not found", message: "No such asset.", viewer: null }), 404),

    overview: async (ctx) => {
      const overview = await dashboardOverview(stats);
      return page(OverviewPage({
        viewer: viewerOf(ctx.session),
        applications: overview.applications,
        activeDays: overview.activeDays,
        serverUrl: ctx.facts.origin,
        now: now(),
      }));
    },

    application: async (ctx) => {
      const viewer = viewerOf(ctx.session);
      const slug = ctx.params["slug"] ?? "";
      const periodText = ctx.url.searchParams.get("period") ?? "30d";
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
      const figures = await applicationPage(stats, slug, periodText);
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
      const { activity, detail } = figures;
      const by = detail.breakdowns;
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
        breakdowns: [
          { title: "Versions", rows: by.app_version },
          { title: "Platforms", rows: by.os_arch },
          { title: "Environments", rows: by.environment },
          { title: "Deployment modes", rows: by.deployment_mode },
        ],
        now: now(),
      }));
    },
  };
}
