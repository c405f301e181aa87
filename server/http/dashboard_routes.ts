/**
 * The dashboard's routes: the embedded assets, sign-in and sign-out, and the
 * pages, each of which sends a visitor without a session to `/login`.
 */

import { randomToken, sameToken, SESSION_TTL_MS, signIn, signOut } from "../accounts/mod.ts";
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
import { isUsername } from "../../shared/account_rules.ts";
import { printableText } from "../../shared/text_rules.ts";
import {
  csrfRefused,
  page,
  PAGE_ROUTE,
  readForm,
  redirect,
  sessionPage,
  viewerOf,
} from "./page_support.ts";
import { addInstancePagesRoutes } from "./instance_pages_routes.ts";
import { addSettingsRoutes } from "./settings_routes.ts";
import type { RouteContext, Router } from "./router.ts";
import { safeLocation } from "./safe_location.ts";
import {
  cameOverHttps,
  cookieHeader,
  DEVICE_COOKIE,
  LOGIN_CSRF_COOKIE,
  readCookie,
  SESSION_COOKIE,
  type SignedIn,
  signedIn,
} from "./session_auth.ts";
import type { SignInLimits } from "./sign_in_limits.ts";

/** How long a browser stays known for sign-in limits after it signed in (a year). */
const DEVICE_COOKIE_MAX_AGE_SECONDS = 365 * 86_400;

/** What the dashboard routes need. */
export interface DashboardDeps {
  readonly db: Database;
  readonly now: () => Date;
  readonly stats: StatsContext;
  readonly trustProxy: boolean;
  /** Sign-in attempts per address, username and known browser. */
  readonly signInLimits: SignInLimits;
}

/** Adds the dashboard's routes to `router`. */
export function addDashboardRoutes(router: Router, deps: DashboardDeps): void {
  const { db, now, stats } = deps;
  const secure = (ctx: RouteContext) => cameOverHttps(ctx.request, ctx.url, deps.trustProxy);

  router.on(
    "GET",
    "/assets/:asset",
    ({ request, url, params }) =>
      assetResponse(params["asset"] ?? "", request, url) ??
        page(MessagePage({ title: "Not found", message: "No such asset.", viewer: null }), 404),
    PAGE_ROUTE,
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
    PAGE_ROUTE,
  );

  router.on("GET", "/login", async (ctx) => {
    const next = safeLocation(ctx.url.searchParams.get("next"));
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
    const next = safeLocation(ctx.url.searchParams.get("next"));
    const form = await readForm(ctx.request);
    const cookieToken = readCookie(ctx.request, LOGIN_CSRF_COOKIE);
    const formToken = form.get("_csrf") ?? "";
    if (cookieToken === undefined || !await sameToken(cookieToken, formToken)) {
      return csrfRefused(null);
    }
    const username = (form.get("username") ?? "").trim();
    const password = form.get("password") ?? "";
    const knownName = isUsername(username);
    const decision = await deps.signInLimits.admit({
      address: ctx.clientAddress,
      username: knownName ? username : null,
      device: readCookie(ctx.request, DEVICE_COOKIE),
    });
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
    // A name that cannot be a username never reaches the store (it may hold a NUL).
    const session = !knownName || password === ""
      ? null
      : await signIn(db, { username, password, now: now() });
    if (session === null) {
      return page(
        LoginPage({
          csrfToken: cookieToken,
          next,
          username: printableText(username, 64),
          error: "Wrong username or password.",
        }),
        401,
      );
    }
    decision.succeeded();
    const headers = new Headers();
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
    headers.append(
      "set-cookie",
      cookieHeader(DEVICE_COOKIE, await deps.signInLimits.deviceToken(username), {
        secure: secure(ctx),
        path: "/login",
        maxAgeSeconds: DEVICE_COOKIE_MAX_AGE_SECONDS,
      }),
    );
    return redirect(next, headers);
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
    return redirect("/login", {
      "set-cookie": cookieHeader(SESSION_COOKIE, null, { secure: secure(ctx) }),
    });
  });
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
