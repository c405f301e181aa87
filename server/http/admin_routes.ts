/** The admin read API under `/api/v1/admin/`. */

import { ClientError } from "../errors.ts";
import {
  applicationDetail,
  applicationsOverview,
  dailyMetrics,
  fleetSummary,
  instancePage,
  type StatsContext,
} from "../stats/mod.ts";
import { isInstanceStatus } from "../../shared/instance_status.ts";
import { isAppSlug, printableText } from "../../shared/text_rules.ts";
import { jsonResponse } from "./respond.ts";
import type { RouteContext, RouteOptions, Router } from "./router.ts";

/**
 * Options of the admin routes under an application's slug: a slug that
 * breaks the slug rule names no application, so it is answered as an
 * unknown one (404 `unknown_application`), before any query.
 */
export const APPLICATION_API_ROUTE: RouteOptions = {
  refuse: (_ctx, problem) => {
    throw new ClientError(
      404,
      "unknown_application",
      `No application has the slug ${JSON.stringify(printableText(problem.value, 100))}: ` +
        `a slug is ${problem.expected}`,
    );
  },
};

/**
 * Adds the admin endpoints to `router`, each behind `authenticate`. Path
 * parameters are checked by the router; query parameters here, before any
 * query (a bad one is a 400 `invalid_parameter`).
 */
export function addAdminRoutes(
  router: Router,
  deps: { stats: StatsContext; authenticate: (request: Request) => Promise<void> },
): void {
  const { stats, authenticate } = deps;
  const guarded =
    (handler: (ctx: RouteContext) => Promise<Response>) => async (ctx: RouteContext) => {
      await authenticate(ctx.request);
      return await handler(ctx);
    };

  router.on(
    "GET",
    "/api/v1/admin/stats",
    guarded(async () => jsonResponse(await fleetSummary(stats))),
  );

  router.on(
    "GET",
    "/api/v1/admin/applications",
    guarded(async () => jsonResponse(await applicationsOverview(stats))),
  );

  router.on(
    "GET",
    "/api/v1/admin/applications/:slug",
    guarded(async (ctx) => {
      const slug = ctx.params["slug"] ?? "";
      return jsonResponse(await applicationDetail(stats, slug) ?? unknownApp(slug));
    }),
    APPLICATION_API_ROUTE,
  );

  router.on(
    "GET",
    "/api/v1/admin/instances",
    guarded(async ({ url }) => {
      const q = url.searchParams;
      const status = q.get("status") || undefined;
      if (status !== undefined && !isInstanceStatus(status)) {
        throw invalidParam("status", status, "pending, active or revoked");
      }
      const app = q.get("app") || undefined;
      if (app !== undefined && !isAppSlug(app)) {
        throw invalidParam("app", app, "an application slug (a-z, 0-9 and inner dashes)");
      }
      const cursor = q.get("cursor") || undefined;
      return jsonResponse(
        await instancePage(stats, {
          limit: integerParam(q, "limit", { fallback: 100, min: 1, max: 500 }),
          ...(app === undefined ? {} : { appSlug: app }),
          ...(status === undefined ? {} : { status }),
          ...(cursor === undefined ? {} : { cursor }),
        }),
      );
    }),
  );

  router.on(
    "GET",
    "/api/v1/admin/metrics/:slug",
    guarded(async ({ url, params }) => {
      const slug = params["slug"] ?? "";
      const days = integerParam(url.searchParams, "days", { fallback: 30, min: 1, max: 366 });
      return jsonResponse(await dailyMetrics(stats, slug, days) ?? unknownApp(slug));
    }),
    APPLICATION_API_ROUTE,
  );
}

function integerParam(
  query: URLSearchParams,
  name: string,
  range: { fallback: number; min: number; max: number },
): number {
  const text = query.get(name);
  if (text === null || text === "") return range.fallback;
  const value = /^\d{1,9}$/.test(text) ? Number(text) : NaN;
  if (!(value >= range.min && value <= range.max)) {
    throw invalidParam(name, text, `a whole number from ${range.min} to ${range.max}`);
  }
  return value;
}

function invalidParam(name: string, value: string, expected: string): ClientError {
  return new ClientError(
    400,
    "invalid_parameter",
    `Cannot use "${name}" as it must be ${expected}: current value is "${value.slice(0, 80)}"`,
  );
}

function unknownApp(slug: string): never {
  throw new ClientError(
    404,
    "unknown_application",
    `No application has the slug "${slug.slice(0, 100)}"`,
  );
}
