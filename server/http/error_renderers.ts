/**
 * How failures reach the client, one mapping per rendering the route table
 * names: `json` (the protocol's error shape), `page` (an HTML message page),
 * `badge` (a grey badge). Each answers two things: a path parameter that
 * broke its rule (before access or any query), and anything a route threw.
 * Only faults of ours (not a client's error, not an unavailable store) are
 * logged as errors, with context.
 */

import { ClientError, StoreUnavailableError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { problemAnswer } from "../badges/mod.ts";
import { printableText } from "../../shared/text_rules.ts";
import { badgeResponse, splitFormat } from "./badge_response.ts";
import { refusedBadge } from "./badge_routes.ts";
import { messagePage } from "./page_support.ts";
import { errorResponse, responseForError } from "./respond.ts";
import type { ErrorRendering } from "./route_declaration.ts";
import type { ParamProblem, RouteContext } from "./router.ts";

/** One way of answering failures. */
export interface ErrorRenderer {
  /** The answer to a path parameter that broke its rule: it names nothing, so 404 in most shapes. */
  refuseParam(ctx: RouteContext, problem: ParamProblem): Response | Promise<Response>;
  /** The answer to anything the route (or its access check) threw. */
  renderError(ctx: RouteContext, error: unknown): Response | Promise<Response>;
}

/** What the renderers need: the log, and how long a badge may be cached. */
export interface RendererDeps {
  readonly log: Logger;
  readonly badgeMaxAgeSeconds: number;
}

/** The three renderers, by the name the route table uses. */
export function errorRenderers(deps: RendererDeps): Record<ErrorRendering, ErrorRenderer> {
  return { json: jsonRenderer(deps), page: pageRenderer(deps), badge: badgeRenderer(deps) };
}

/**
 * The protocol's JSON errors: a slug that breaks its rule is an unknown
 * application (404 `unknown_application`), any other parameter a 404
 * `not_found`; what was thrown goes through {@linkcode responseForError}.
 */
function jsonRenderer(deps: RendererDeps): ErrorRenderer {
  return {
    refuseParam: (ctx, problem) => {
      const shown = JSON.stringify(
        printableText(problem.value, problem.name === "slug" ? 100 : 80),
      );
      if (problem.name === "slug") {
        return errorResponse(
          404,
          "unknown_application",
          `No application has the slug ${shown}: a slug is ${problem.expected}`,
        );
      }
      return errorResponse(
        404,
        "not_found",
        `Cannot find ${printableText(ctx.url.pathname, 200)} as "${problem.name}" must be ` +
          `${problem.expected}: current value is ${shown}`,
      );
    },
    renderError: (ctx, error) =>
      responseForError(error, {
        log: deps.log,
        method: ctx.request.method,
        path: ctx.url.pathname,
      }),
  };
}

/** The 404 sentence of a page whose path names nothing, by parameter (as for an unknown value). */
const NOT_FOUND_MESSAGES: ReadonlyMap<string, (shown: string) => string> = new Map([
  ["slug", (shown: string) => `No application has the slug "${shown}".`],
  ["instanceId", (shown: string) => `No instance has the id "${shown}".`],
  ["tokenId", (shown: string) => `You have no live token with the id "${shown}".`],
  ["asset", () => "No such asset."],
]);

/** Titles of the message page by status, for a client's error thrown below a page. */
const PAGE_TITLES: ReadonlyMap<number, string> = new Map([
  [400, "Bad request"],
  [401, "Not signed in"],
  [403, "Refused"],
  [404, "Not found"],
  [413, "Too large"],
  [429, "Too many requests"],
]);

/**
 * Dashboard pages: a parameter that breaks its rule gets the 404 page before
 * any session or query; a client's error its status on a message page with
 * its sentence; an unavailable store a 503 page; anything else a logged 500
 * page that reveals nothing.
 */
function pageRenderer(deps: RendererDeps): ErrorRenderer {
  return {
    refuseParam: (_ctx, problem) => {
      const shown = printableText(problem.value, 100);
      return messagePage(null, {
        status: 404,
        title: "Not found",
        message: NOT_FOUND_MESSAGES.get(problem.name)?.(shown) ??
          `Nothing is here: "${problem.name}" must be ${problem.expected}, not "${shown}".`,
      });
    },
    renderError: (ctx, error) => {
      if (error instanceof ClientError) {
        return messagePage(null, {
          status: error.status,
          title: PAGE_TITLES.get(error.status) ?? "Refused",
          message: error.message,
          headers: error.headers,
        });
      }
      if (error instanceof StoreUnavailableError) {
        // Not a warning per request: the outage is logged once when it starts and once when it ends.
        deps.log.debug("store unavailable", { path: ctx.url.pathname, error: error.message });
        return messagePage(null, {
          status: 503,
          title: "Unavailable",
          message: "The database is unavailable right now: reload the page in a moment.",
          headers: { "retry-after": "30" },
        });
      }
      deps.log.error("request failed", {
        method: ctx.request.method,
        path: ctx.url.pathname,
        error,
      });
      return messagePage(null, {
        status: 500,
        title: "Something failed",
        message: "The server failed to show this page.",
      });
    },
  };
}

/**
 * Badges: a badge is an image in someone's README, so every failure answers
 * as one. A refused parameter is drawn by `refusedBadge` and cached as any
 * badge; a fault is the grey `unavailable` badge with 503, never cached.
 */
function badgeRenderer(deps: RendererDeps): ErrorRenderer {
  const formatOf = (ctx: RouteContext) =>
    splitFormat(ctx.params["metric"] ?? ctx.params["badge"] ?? "").format;
  return {
    refuseParam: async (ctx, problem) =>
      await badgeResponse(ctx.request, {
        answer: refusedBadge(ctx, problem),
        format: formatOf(ctx),
        cacheControl: `public, max-age=${deps.badgeMaxAgeSeconds}`,
      }),
    renderError: async (ctx, error) => {
      if (error instanceof StoreUnavailableError) {
        // The outage itself is logged once, where the store reports it; not once per badge.
        deps.log.debug("badge store unavailable", {
          path: ctx.url.pathname,
          error: error.message,
        });
      } else deps.log.error("badge failed", { path: ctx.url.pathname, error });
      return await badgeResponse(ctx.request, {
        answer: problemAnswer("unavailable", { label: "badge", style: "flat", status: 503 }),
        format: formatOf(ctx),
        cacheControl: "no-store",
      });
    },
  };
}
