/** The whole HTTP surface: routes, error mapping and the request log, in one handler. */

import type { Config } from "../config.ts";
import { createIngestContext } from "../ingest/mod.ts";
import type { Logger } from "../log.ts";
import { checkStoreAnswers, type Database, runWithinStoreBudget } from "../store/mod.ts";
import { FigureCache } from "../stats/mod.ts";
import { bearerTokenCheck } from "./admin_auth.ts";
import { addAdminRoutes } from "./admin_routes.ts";
import { addDashboardRoutes } from "./dashboard_routes.ts";
import { apiTokenOrBearer, sessionOrBearer } from "./session_auth.ts";
import { addAppSettingsRoutes } from "./app_settings_routes.ts";
import { addAppSettingsPageRoutes } from "./app_settings_page_routes.ts";
import { addBadgeRoutes } from "../badges/badge_routes.ts";
import { addInstanceRoutes } from "./instance_routes.ts";
import { addSetupRoutes } from "./setup_routes.ts";
import { PATH_PARAMS } from "./path_params.ts";
import { RateLimiter } from "./rate_limit.ts";
import { errorResponse, jsonResponse, responseForError } from "./respond.ts";
import { type RouteEntry, Router } from "./router.ts";
import { withSecurityHeaders } from "./security_headers.ts";
import { SignInLimits } from "./sign_in_limits.ts";

/** What the handler is built from. */
export interface AppDeps {
  readonly config: Config;
  readonly db: Database;
  readonly log: Logger;
  /** The clock; defaults to the real one. */
  readonly now?: () => Date;
  /** The one-time setup token printed at start with no account and no password; else null. */
  readonly setupToken?: string | null;
}

/** The client side of a connection, as `Deno.serve` reports it. */
export interface ClientInfo {
  readonly remoteAddr: { readonly hostname?: string } | Deno.Addr;
}

/** A request handler for `Deno.serve` (or a test calling it directly). */
export interface AppHandler {
  (request: Request, client: ClientInfo): Promise<Response>;
  /** Every method and path pattern it serves, so that a test can cover each one. */
  readonly routes: () => RouteEntry[];
}

/**
 * Builds the request handler: every route, the JSON error shape for every
 * failure (a 500 never reveals its cause), the security headers of every
 * answer (`security_headers.ts`), and one log line per request with
 * method, path, status, duration and instance id (never the address or body).
 */
export function createHandler(deps: AppDeps): AppHandler {
  const { config, log } = deps;
  // Every store call of a request has the query deadline, and a request waits for PostgreSQL that
  // long in all: a database that is gone answers 503. The embedded store cannot go away.
  const db = deps.db.withDeadline(config.storeQueryTimeoutMs);
  const withinStoreBudget = deps.db.kind === "postgres"
    ? <T>(work: () => Promise<T>) => runWithinStoreBudget(config.storeQueryTimeoutMs, work)
    : <T>(work: () => Promise<T>) => work();
  const now = deps.now ?? (() => new Date());
  const router = new Router({ params: PATH_PARAMS });

  router.on("GET", "/api/v1/healthcheck", () => jsonResponse({ status: "ok" }));
  router.on("GET", "/api/v1/readyz", async () => {
    await checkStoreAnswers(db);
    return jsonResponse({ status: "ready" });
  });
  addInstanceRoutes(router, {
    ingest: createIngestContext(db, { now, snapshotBacklogMs: config.snapshotBacklogMs }),
    limits: {
      perIp: new RateLimiter(config.rateLimitPerIp),
      perInstance: new RateLimiter(config.rateLimitPerInstance),
    },
  });
  addAdminRoutes(router, {
    stats: { db, now, activeDays: config.activeDays },
    authenticate: sessionOrBearer({ db, now }, bearerTokenCheck(config.adminToken)),
  });
  addDashboardRoutes(router, {
    db,
    now,
    stats: { db, now, activeDays: config.activeDays },
    trustProxy: config.trustProxy,
    signInLimits: new SignInLimits({ now: () => now().getTime() }),
  });
  addSetupRoutes(router, { db, now, setupToken: deps.setupToken ?? null });
  addAppSettingsPageRoutes(router, {
    db,
    now,
    stats: { db, now, activeDays: config.activeDays },
    trustProxy: config.trustProxy,
  });
  addAppSettingsRoutes(router, {
    db,
    now,
    authenticate: apiTokenOrBearer({ db, now }, bearerTokenCheck(config.adminToken)),
  });
  addBadgeRoutes(router, {
    badges: {
      db,
      now,
      activeDays: config.activeDays,
      minInstances: config.badgeMinInstances,
      cache: new FigureCache(config.badgeCacheSeconds * 1000),
    },
    maxAgeSeconds: config.badgeMaxAge,
    log,
  });

  const handle = async (request: Request, client: ClientInfo): Promise<Response> => {
    const started = performance.now();
    const url = new URL(request.url);
    let instanceId: string | undefined;
    let response: Response;
    try {
      const match = router.match(request.method, url.pathname);
      if (match.kind === "not_found") {
        response = errorResponse(
          404,
          "not_found",
          `Nothing is served at ${url.pathname.slice(0, 200)}`,
        );
      } else if (match.kind === "wrong_method") {
        response = errorResponse(
          405,
          "method_not_allowed",
          `Cannot ${request.method} ${url.pathname}: use ${match.allowed.join(" or ")}`,
          { allow: match.allowed.join(", ") },
        );
      } else {
        const route = match.handler;
        response = await withinStoreBudget(async () =>
          await route({
            request,
            url,
            params: match.params,
            clientAddress: clientAddress(request, client, config.trustProxy),
            noteInstance: (id) => instanceId = id,
          })
        );
      }
    } catch (error) {
      response = responseForError(error, { log, method: request.method, path: url.pathname });
    }
    response = withSecurityHeaders(response);
    log.info("request", {
      method: request.method,
      path: url.pathname,
      status: response.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      ...(instanceId === undefined ? {} : { instance_id: instanceId }),
    });
    return response;
  };
  return Object.assign(handle, { routes: () => router.routes() });
}

function clientAddress(request: Request, client: ClientInfo, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = request.headers.get("x-forwarded-for")?.split(",").at(-1)?.trim();
    if (forwarded) return forwarded;
  }
  const addr = client.remoteAddr as { hostname?: string };
  return addr.hostname ?? "unknown";
}
