/** The dashboard page of one application's settings, `/apps/{slug}/settings`, and its form. */

import { readBadgeChoice } from "../../shared/badge_snippets.ts";
import { isMetricKey } from "../../shared/text_rules.ts";
import {
  applicationSettingsView,
  changeApplicationSettings,
  readExcludedEnvironmentsField,
  type StatsContext,
} from "../stats/mod.ts";
import { parseGithubRepo, releaseFigures } from "../github/mod.ts";
import { AppSettingsPage, type AppSettingsPageProps } from "../ui/AppSettingsPage.tsx";
import type { AlertsPanelProps } from "../ui/AlertsPanel.tsx";
import { alertRules, type AlertsContext } from "../alerts/mod.ts";
import { MAX_PUBLIC_METRICS, parseDisplayName } from "./app_settings_routes.ts";
import { messagePage, page, redirect, viewerOf } from "./page_support.ts";
import type { Handler } from "./route_declaration.ts";
import type { RouteContext } from "./router.ts";
import type { SignedIn } from "./session_auth.ts";

/** What the application settings page needs. */
export interface AppSettingsPageDeps {
  readonly stats: StatsContext;
  readonly alerts: AlertsContext;
}

/** What the settings page shows besides the application's settings: a notice, a form's error. */
export type SettingsPageExtra =
  & Pick<
    AppSettingsPageProps,
    "notice" | "error" | "typedDisplayName" | "typedExcludedEnvironments" | "typedGithubRepo"
  >
  & {
    /** The alerts section's state: a refused rule, a deletion to confirm, a rule just made. */
    readonly alerts?: Pick<AlertsPanelProps, "typedForm" | "confirmDelete" | "newRule">;
  };

/**
 * The settings page of application `ctx.params.slug` for `session`, with
 * `extra` shown and the given status; a 404 page when no application has
 * that slug. The alerts section is an admin's only (webhook URLs and
 * addresses are not a viewer's to read).
 */
export async function appSettingsPageResponse(
  deps: AppSettingsPageDeps,
  options: { ctx: RouteContext; session: SignedIn; extra?: SettingsPageExtra; status?: number },
): Promise<Response> {
  const { ctx, session } = options;
  const { alerts: alertsState, ...extra } = options.extra ?? {};
  const slug = ctx.params["slug"] ?? "";
  const app = await applicationSettingsView(deps.stats, slug);
  if (app.kind === "unknown_app") return notFound(session, slug);
  const releases = await releaseFigures(deps.stats, slug);
  const alerts = session.user.role === "admin"
    ? await alertRules(deps.alerts, { slug, logLimit: 20 })
    : null;
  return page(
    AppSettingsPage({
      viewer: viewerOf(session),
      app,
      serverUrl: ctx.facts.origin,
      badge: readBadgeChoice(ctx.url.searchParams, app.metricKeys),
      github: releases.kind === "found" ? releases.github : null,
      ...(alerts?.kind === "found"
        ? { alerts: { rules: alerts.rules, deliveries: alerts.deliveries, ...alertsState } }
        : {}),
      ...extra,
    }),
    options.status ?? 200,
  );
}

/**
 * The handlers of `GET /apps/{slug}/settings` (the page, access `session`)
 * and `POST` (its form, access `session_form`: `display_name`,
 * `public_badges` and `public_page` as checkboxes, `public_metrics` as one
 * checkbox per metric, `exported_metrics` likewise, `excluded_environments` separated by
 * commas, `github_repo` as
 * `owner/name`, empty to remove it, absent to leave it). A bad
 * display name or excluded environment list, or more than 50 public metrics
 * shows the page again with 400 and writes nothing; a saved form redirects to the page with a notice.
 */
export function appSettingsPageHandlers(deps: AppSettingsPageDeps): {
  page: Handler<"session">;
  save: Handler<"session_form">;
} {
  const settingsPage = (
    ctx: RouteContext,
    session: SignedIn,
    extra: SettingsPageExtra = {},
    status = 200,
  ) => appSettingsPageResponse(deps, { ctx, session, extra, status });

  return {
    page: async (ctx) => {
      // `?delete_alert={id}` asks to confirm that rule's deletion (a plain link, no JavaScript).
      const deleting = ctx.url.searchParams.get("delete_alert") ?? "";
      return await settingsPage(ctx, ctx.session, {
        ...doneNotice(ctx.url.searchParams.get("done")),
        ...(/^[1-9][0-9]{0,8}$/.test(deleting)
          ? { alerts: { confirmDelete: Number(deleting) } }
          : {}),
      });
    },

    save: async (ctx) => {
      const { session, form } = ctx;
      const slug = ctx.params["slug"] ?? "";
      const typed = form.get("display_name") ?? "";
      const reading = parseDisplayName(typed);
      if (!reading.ok) {
        return await settingsPage(ctx, session, {
          error: displayNameProblem(typed),
          typedDisplayName: typed.slice(0, 200),
        }, 400);
      }
      // A form without the field (an older page) leaves the list as it is.
      const typedExcluded = form.get("excluded_environments");
      const excluded = typedExcluded === null ? null : readExcludedEnvironmentsField(typedExcluded);
      if (excluded !== null && !excluded.ok) {
        return await settingsPage(ctx, session, {
          error: "Excluded environments are up to 32 names separated by commas, each 1 to 64 " +
            "printable characters.",
          typedDisplayName: typed.slice(0, 200),
          typedExcludedEnvironments: (typedExcluded ?? "").slice(0, 3000),
        }, 400);
      }
      // Likewise for the GitHub repository; empty removes it.
      const typedRepo = form.get("github_repo");
      const repo = typedRepo === null ? null : parseGithubRepo(typedRepo);
      if (repo !== null && !repo.ok) {
        return await settingsPage(ctx, session, {
          error: `The GitHub repository cannot be used as ${repo.problem}.`,
          typedDisplayName: typed.slice(0, 200),
          typedGithubRepo: (typedRepo ?? "").slice(0, 200),
        }, 400);
      }
      const publicMetrics = [...new Set(form.getAll("public_metrics"))];
      const exportedMetrics = [...new Set(form.getAll("exported_metrics"))];
      if (
        [publicMetrics, exportedMetrics].some((names) =>
          names.length > MAX_PUBLIC_METRICS || !names.every(isMetricKey)
        )
      ) {
        return await settingsPage(ctx, session, {
          error: `The public page and /metrics show at most ${MAX_PUBLIC_METRICS} metrics ` +
            "each, each a metric name the instances send.",
          typedDisplayName: typed.slice(0, 200),
        }, 400);
      }
      const saved = await changeApplicationSettings(deps.stats, {
        slug,
        change: {
          displayName: reading.name,
          publicBadges: form.get("public_badges") === "on",
          publicPage: form.get("public_page") === "on",
          publicMetrics,
          ...(excluded === null ? {} : { excludedEnvironments: excluded.environments }),
          ...(repo === null ? {} : { githubRepo: repo.repo }),
          exportedMetrics,
        },
        actor: session.user.username,
      });
      if (saved.kind === "unknown_app") return notFound(session, slug);
      return redirect(`/apps/${encodeURIComponent(slug)}/settings?done=saved`);
    },
  };
}

/** The notice of `?done=`: settings saved, or how an alert's test went. */
function doneNotice(done: string | null): Pick<AppSettingsPageProps, "notice"> {
  const notices: Record<string, string> = {
    saved: "The settings were saved.",
    test_sent: "The test was delivered.",
    test_failed: "The test was not delivered: see the deliveries below.",
    test_unknown: "That alert does not exist (any more).",
    alert_deleted: "The alert was deleted.",
    alert_unknown: "That alert does not exist (any more).",
  };
  const notice = done === null ? undefined : notices[done];
  return notice === undefined ? {} : { notice };
}

/** The form's sentence for a display name `parseDisplayName` refused. */
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
