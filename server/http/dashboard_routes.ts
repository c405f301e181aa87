/**
 * The dashboard's routes: the embedded assets, sign-in and sign-out, and the
 * pages, each of which sends a visitor without a session to `/login`.
 */

import { randomToken, sameToken, SESSION_TTL_MS, signIn, signOut } from "../auth/mod.ts";
import {
  applicationActivity,
  applicationDetail,
  dashboardOverview,
  isDashboardPeriod,
  type StatsContext,
} from "../stats/mod.ts";
import type { Database } from "../store/mod.ts";
import { AppPage } from "../ui/AppPage.tsx";
import { assetResponse } from "../ui/assets.ts";
import { LoginPage } from "../ui/LoginPage.tsx";
import { MessagePage } from "../ui/MessagePage.tsx";
import { OverviewPage } from "../ui/OverviewPage.tsx";
import { csrfRefused, page, readForm, redirect, sessionPage, viewerOf } from "./page_support.ts";
import { addInstancePagesRoutes } from "./instance_pages_routes.ts";
import type { RateLimiter } from "./rate_limit.ts";
import { addSettingsRoutes } from "./settings_routes.ts";
import type { RouteContext, Router } from "./router.ts";
import {
  cameOverHttps,
  cookieHeader,
  LOGIN_CSRF_COOKIE,
  readCookie,
  SESSION_COOKIE,
  type SignedIn,
  signedIn,
} from "./session_auth.ts";

/** What the dashboard routes need. */
export interface DashboardDeps {
  readonly db: Database;
  readonly now: () => Date;
  readonly stats: StatsContext;
  readonly trustProxy: boolean;
  /** Sign-in attempts per client address. */
  readonly loginLimit: RateLimiter;
}

/** Adds the dashboard's routes to `router`. */
export function addDashboardRoutes(router: Router, deps: DashboardDeps): void {
  const { db, now, stats } = deps;
  const secure = (ctx: RouteContext) => cameOverHttps(ctx.request, ctx.url, deps.trustProxy);

  router.on(
    "GET",
    "/assets/:name",
    ({ request, url, params }) =>
      assetResponse(params["name"] ?? "", request, url) ??
        page(MessagePage({ title: "Not found", message: "No such asset.", viewer: null }), 404),
  );

  const signedInPage = (
    handler: (ctx: RouteContext, session: SignedIn) => Promise<Response>,
  ) => sessionPage({ db, now }, handler);

  router.on(
    "GET",
    "/",
    signedInPage(async (ctx, session) => {
      const overview = await dashboardOverview(stats);
      return page(OverviewPage({
        viewer: viewerOf(session),
        applications: overview.applications,
        activeDays: overview.activeDays,
        serverUrl: publicOrigin(ctx, deps.trustProxy),
        now: now(),
      }));
    }),
  );

  router.on(
    "GET",
    "/apps/:slug",
    signedInPage(async (ctx, session) => {
      const slug = ctx.params["slug"] ?? "";
      const periodText = ctx.url.searchParams.get("period") ?? "30d";
      if (!isDashboardPeriod(periodText)) {
        return page(
          MessagePage({
            title: "Unknown period",
            message: `Cannot show the period "${
              periodText.slice(0, 20)
            }": choose 24h, 7d, 30d, 90d or 1y.`,
            viewer: viewerOf(session),
          }),
          400,
        );
      }
      const [activity, detail] = await Promise.all([
        applicationActivity(stats, slug, periodText),
        applicationDetail(stats, slug),
      ]);
      if (activity === null || detail === null) {
        return page(
          MessagePage({
            title: "Not found",
            message: `No application has the slug "${slug.slice(0, 100)}".`,
            viewer: viewerOf(session),
          }),
          404,
        );
      }
      const by = detail.active_instances_by;
      return page(AppPage({
        viewer: viewerOf(session),
        activity,
        summary: {
          activeInstances: detail.instances.active,
          totalInstances: detail.instances.total,
          lastSeen: detail.last_seen === null ? null : new Date(detail.last_seen),
          activeDays: detail.active_window_days,
          computedAt: detail.computed_at === null ? null : new Date(detail.computed_at),
        },
        breakdowns: [
          { title: "Versions", rows: by.app_version },
          { title: "Platforms", rows: by.os_arch },
          { title: "Environments", rows: by.environment },
          { title: "Deployment modes", rows: by.deployment_mode },
        ],
        now: now(),
      }));
    }),
  );

  router.on("GET", "/login", async (ctx) => {
    const next = localPath(ctx.url.searchParams.get("next"));
    if (await signedIn(db, ctx.request, now()) !== null) return redirect(next);
    const csrfToken = randomToken();
    return page(LoginPage({ csrfToken, next }), 200, {
      "set-cookie": cookieHeader(LOGIN_CSRF_COOKIE, csrfToken, {
        secure: secure(ctx),
        path: "/login",
        maxAgeSeconds: 3600,
      }),
    });
  });

  router.on("POST", "/login", async (ctx) => {
    const next = localPath(ctx.url.searchParams.get("next"));
    const decision = deps.loginLimit.take(ctx.clientAddress);
    if (!decision.allowed) {
      return page(
        MessagePage({
          title: "Too many sign-in attempts",
          message: `Wait ${decision.retryAfterSeconds} s and try again.`,
          viewer: null,
        }),
        429,
        { "retry-after": String(decision.retryAfterSeconds) },
      );
    }
    const form = await readForm(ctx.request);
    const cookieToken = readCookie(ctx.request, LOGIN_CSRF_COOKIE);
    const formToken = form.get("_csrf") ?? "";
    if (cookieToken === undefined || !await sameToken(cookieToken, formToken)) {
      return csrfRefused(null);
    }
    const username = (form.get("username") ?? "").trim();
    const password = form.get("password") ?? "";
    const session = username === "" || password === ""
      ? null
      : await signIn(db, { username, password, now: now() });
    if (session === null) {
      return page(
        LoginPage({
          csrfToken: cookieToken,
          next,
          username: username.slice(0, 64),
          error: "Wrong username or password.",
        }),
        401,
      );
    }
    const headers = new Headers({ location: next, "cache-control": "no-store" });
    headers.append(
      "set-cookie",
      cookieHeader(SESSION_COOKIE, session.token, {
        secure: secure(ctx),
        maxAgeSeconds: Math.floor(SESSION_TTL_MS / 1000),
      }),
    );
    headers.append(
      "set-cookie",
      cookieHeader(LOGIN_CSRF_COOKIE, null, { secure: secure(ctx), path: "/login" }),
    );
    return new Response(null, { status: 303, headers });
  });

  addInstancePagesRoutes(router, { db, now, stats });
  addSettingsRoutes(router, { db, now });

  router.on("POST", "/logout", async (ctx) => {
    const session = await signedIn(db, ctx.request, now());
    if (session === null) return redirect("/login");
    const form = await readForm(ctx.request);
    if (!await sameToken(session.csrfToken, form.get("_csrf") ?? "")) {
      return csrfRefused(viewerOf(session));
    }
    await signOut(db, session.token);
    return new Response(null, {
      status: 303,
      headers: {
        location: "/login",
        "cache-control": "no-store",
        "set-cookie": cookieHeader(SESSION_COOKIE, null, { secure: secure(ctx) }),
      },
    });
  });
}

/** `next` when it is a path on this server, else `/`: never a redirect to another site. */
function localPath(next: string | null): string {
  if (next === null || !next.startsWith("/") || next.startsWith("//") || next.includes("\\")) {
    return "/";
  }
  return next;
}

/** The origin browsers and instances reach this server at, for the SDK and badge snippets. */
export function publicOrigin(ctx: RouteContext, trustProxy: boolean): string {
  const url = new URL(ctx.url.origin);
  if (trustProxy) {
    const host = ctx.request.headers.get("x-forwarded-host")?.split(",")[0]?.trim();
    if (host) url.host = host;
    if (cameOverHttps(ctx.request, ctx.url, true)) url.protocol = "https:";
  }
  return url.origin;
}
