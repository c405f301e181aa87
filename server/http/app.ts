/**
 * The HTTP wiring: the services the routes are built from, the router built
 * from the route table (`routes.ts`), and around every request its facts,
 * its access check, its error renderer, the security headers and one log line.
 */

import type { Config } from "../config.ts";
import { createIngestContext, type KeyShare } from "../ingest/mod.ts";
import type { Logger } from "../log.ts";
import { checkStoreAnswers, type Database, runWithinStoreBudget } from "../store/mod.ts";
import { FigureCache, type LastKnownShare } from "../stats/mod.ts";
import { type Access, accessGate } from "./access.ts";
import { apiTokensExist, OidcClient, type Role } from "../accounts/mod.ts";
import { bearerTokenCheck } from "./admin_auth.ts";
import { errorRenderers } from "./error_renderers.ts";
import { PATH_PARAMS } from "./path_params.ts";
import { RateLimiter } from "./rate_limit.ts";
import { type ClientInfo, requestFacts } from "./request_facts.ts";
import { errorResponse, responseForError } from "./respond.ts";
import { type ErrorRendering, requiredRole, type RouteDeclaration } from "./route_declaration.ts";
import { type RouteHandler, Router } from "./router.ts";
import { type RouteServices, routeTable } from "./routes.ts";
import { withSecurityHeaders } from "./security_headers.ts";
import { SignInLimits } from "./sign_in_limits.ts";

export type { ClientInfo } from "./request_facts.ts";

/** Longest wait for a webhook or the SMTP server when an operator sends a test. */
const ALERT_SEND_TIMEOUT_MS = 5_000;

/** What the handler is built from. */
export interface AppDeps {
  readonly config: Config;
  readonly db: Database;
  readonly log: Logger;
  /** The clock; defaults to the real one. */
  readonly now?: () => Date;
  /** The one-time setup token printed at start with no account and no password; else null. */
  readonly setupToken?: string | null;
  /**
   * The database with its reads routed to a read replica (`SHM_DATABASE_READ_URL`), for the
   * figures of pages, badges and the admin API; without it they are read from `db`.
   */
  readonly readDb?: Database;
  /** Where the badges' last known figures meet those of the server's other accept loops. */
  readonly lastKnownShare?: LastKnownShare;
  /** Where the instances' keys one accept loop learns meet those of the server's other loops. */
  readonly keyShare?: KeyShare;
}

/** A route as the handler lists it: the route table's line without its handler. */
export interface ServedRoute {
  readonly method: string;
  readonly path: string;
  readonly access: Access;
  /** The role a caller needs past the access kind (`requiredRole`: declared or by method). */
  readonly role: Role;
  readonly errors: ErrorRendering;
}

/** A request handler for `Deno.serve` (or a test calling it directly). */
export interface AppHandler {
  (request: Request, client: ClientInfo): Promise<Response>;
  /** Every route it serves, from the route table, so that a test can cover each one. */
  readonly routes: () => ServedRoute[];
}

/**
 * Builds the request handler: every route of the table, each behind its
 * access kind and answering failures through its error renderer; the JSON
 * error shape for a path served by no route (404) or not with this method
 * (405); the security headers of every answer (`security_headers.ts`), and
 * one log line per request with method, path, status, duration and instance
 * id (never the address or body).
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
  // Figures may come from a read replica; writes made through the stats context go to the primary.
  const figures = deps.readDb === undefined
    ? db
    : deps.readDb.withDeadline(config.storeQueryTimeoutMs);
  const stats = { db: figures, now, activeDays: config.activeDays };
  const alerts = {
    db,
    now,
    allowPrivateWebhooks: config.alertPrivateWebhooks,
    timeoutMs: ALERT_SEND_TIMEOUT_MS,
    smtp: config.smtpUrl === null ? null : { url: config.smtpUrl, from: config.smtpFrom },
  };
  const oidc = config.oidc === null ? null : new OidcClient(config.oidc, { log });
  // Discovered at start, in the background: a provider that is down is a note on the login page.
  if (oidc !== null) void oidc.discover();
  const services: RouteServices = {
    db,
    now,
    log,
    oidc,
    localLogin: config.localLogin,
    stats,
    alerts,
    ingest: createIngestContext(db, {
      now,
      snapshotBacklogMs: config.snapshotBacklogMs,
      ...(deps.keyShare === undefined ? {} : { keyShare: deps.keyShare }),
    }),
    perAddress: new RateLimiter(config.rateLimitPerIp),
    perInstance: new RateLimiter(config.rateLimitPerInstance),
    authProxy: config.authProxy,
    adminToken: bearerTokenCheck(config.adminToken, { apiTokensExist: () => apiTokensExist(db) }),
    signInLimits: new SignInLimits({ now: () => now().getTime() }),
    badges: {
      ...stats,
      minInstances: config.badgeMinInstances,
      cache: new FigureCache(
        config.badgeCacheSeconds * 1000,
        deps.lastKnownShare === undefined ? {} : { share: deps.lastKnownShare },
      ),
    },
    maxAgeSeconds: config.badgeMaxAge,
    storeAnswers: () => checkStoreAnswers(db),
    setupToken: deps.setupToken ?? null,
  };
  const table = routeTable(services);
  const router = routerFrom(table, {
    grant: accessGate(services),
    renderers: errorRenderers({ log, badgeMaxAgeSeconds: config.badgeMaxAge }),
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
            facts: requestFacts(request, { url, client, trustProxy: config.trustProxy }),
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
  const served = table.map(({ method, path, access, errors, role }) => ({
    method,
    path,
    access,
    role: requiredRole({ method, ...(role === undefined ? {} : { role }) }),
    errors,
  }));
  return Object.assign(handle, { routes: () => served.map((route) => ({ ...route })) });
}

/**
 * The router of a route table: each route's handler runs behind its access
 * kind, and what it (or the check) throws, like a path parameter that breaks
 * its rule, is answered by its error renderer.
 */
function routerFrom(
  table: readonly RouteDeclaration<Access>[],
  options: {
    grant: ReturnType<typeof accessGate>;
    renderers: ReturnType<typeof errorRenderers>;
  },
): Router {
  const router = new Router({ params: PATH_PARAMS });
  for (const declaration of table) {
    const renderer = options.renderers[declaration.errors];
    const handler: RouteHandler = async (ctx) => {
      try {
        const granted = await options.grant(declaration, ctx);
        if (granted instanceof Response) return granted;
        return await declaration.handle({ ...ctx, ...granted });
      } catch (error) {
        return await renderer.renderError(ctx, error);
      }
    };
    router.on(declaration.method, declaration.path, handler, { refuse: renderer.refuseParam });
  }
  return router;
}
