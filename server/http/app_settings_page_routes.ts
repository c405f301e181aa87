/** The dashboard page of one application's settings, `/apps/{slug}/settings`, and its form. */

import { readBadgeChoice } from "../../shared/badge_snippets.ts";
import { ClientError } from "../errors.ts";
import { applicationSettingsView, type StatsContext } from "../stats/mod.ts";
import { type Database, updateApplicationSettings } from "../store/mod.ts";
import { AppSettingsPage, type AppSettingsPageProps } from "../ui/AppSettingsPage.tsx";
import { readDisplayName } from "./app_settings_routes.ts";
import { publicOrigin } from "./dashboard_routes.ts";
import {
  messagePage,
  page,
  PAGE_ROUTE,
  redirect,
  sessionForm,
  sessionPage,
  viewerOf,
} from "./page_support.ts";
import type { RouteContext, Router } from "./router.ts";
import type { SignedIn } from "./session_auth.ts";

/** What the application settings page needs. */
export interface AppSettingsPageDeps {
  readonly db: Database;
  readonly now: () => Date;
  readonly stats: StatsContext;
  readonly trustProxy: boolean;
}

/**
 * Adds `GET /apps/{slug}/settings` (the page, session required) and `POST`
 * (its form: session and CSRF token; `display_name`, `public_badges` as a
 * checkbox). A bad display name shows the page again with 400 and writes
 * nothing; a saved form redirects to the page with a notice.
 */
export function addAppSettingsPageRoutes(router: Router, deps: AppSettingsPageDeps): void {
  const path = "/apps/:slug/settings";

  const settingsPage = async (
    ctx: RouteContext,
    session: SignedIn,
    extra: Pick<AppSettingsPageProps, "notice" | "error" | "typedDisplayName"> = {},
    status = 200,
  ) => {
    const slug = ctx.params["slug"] ?? "";
    const app = await applicationSettingsView(deps.stats, slug);
    if (app === null) return notFound(session, slug);
    return page(
      AppSettingsPage({
        viewer: viewerOf(session),
        app,
        serverUrl: publicOrigin(ctx, deps.trustProxy),
        badge: readBadgeChoice(ctx.url.searchParams, app.metricKeys),
        ...extra,
      }),
      status,
    );
  };

  router.on(
    "GET",
    path,
    sessionPage(deps, async (ctx, session) =>
      await settingsPage(
        ctx,
        session,
        ctx.url.searchParams.get("done") === "saved" ? { notice: "The settings were saved." } : {},
      )),
    PAGE_ROUTE,
  );

  router.on(
    "POST",
    path,
    sessionForm(deps, async (ctx, session, form) => {
      const slug = ctx.params["slug"] ?? "";
      const typed = form.get("display_name") ?? "";
      let displayName: string | null;
      try {
        displayName = readDisplayName(typed);
      } catch (error) {
        if (!(error instanceof ClientError)) throw error;
        return await settingsPage(ctx, session, {
          error: displayNameProblem(typed),
          typedDisplayName: typed.slice(0, 200),
        }, 400);
      }
      const saved = await updateApplicationSettings(deps.db, {
        slug,
        change: { displayName, publicBadges: form.get("public_badges") === "on" },
        now: deps.now(),
      });
      if (saved === null) return notFound(session, slug);
      return redirect(`/apps/${encodeURIComponent(slug)}/settings?done=saved`);
    }),
    PAGE_ROUTE,
  );
}

/** The form's sentence for a display name `readDisplayName` refused. */
function displayNameProblem(typed: string): string {
  return [...typed.trim()].length > 100
    ? "A display name has at most 100 characters."
    : "A display name cannot hold control characters (line breaks, tabs) or bidirectional " +
      "overrides.";
}

function notFound(session: SignedIn, slug: string): Response {
  return messagePage(viewerOf(session), {
    status: 404,
    title: "Not found",
    message: `No application has the slug "${slug.slice(0, 100)}".`,
  });
}
