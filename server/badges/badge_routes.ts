/**
 * The public badge endpoints under `/badge/{slug}/`: SVG by default, the
 * shields endpoint JSON with `.json` after the path. Every answer is a badge,
 * even a problem (grey, readable), with caching headers and a strong ETag.
 */

import { MAX_BADGE_TEXT_LENGTH } from "../../shared/badge_grammar.ts";
import { StoreUnavailableError } from "../errors.ts";
import type { ParamProblem, RouteContext, RouteOptions, Router } from "../http/router.ts";
import { isDisplayText, isMetricKey, printableText } from "../../shared/text_rules.ts";
import type { Logger } from "../log.ts";
import {
  activeInstancesFigure,
  type BadgeContext,
  combinedFigure,
  commonVersionFigure,
  metricFigure,
} from "../stats/mod.ts";
import {
  type BadgeAnswer,
  combinedMessage,
  figureAnswer,
  metricMessage,
  problemAnswer,
  versionMessage,
} from "./badge_faces.ts";
import { parseBadgeOptions } from "./badge_params.ts";
import { compactNumber } from "./compact_number.ts";
import { badgeJson, badgeSvg } from "./render_badge.ts";

/** What the badge routes are built from. */
export interface BadgeRouteDeps {
  readonly badges: BadgeContext;
  /** Seconds a badge may be cached. */
  readonly maxAgeSeconds: number;
  readonly log: Logger;
}

type Format = "svg" | "json";

/** Longest `max-age` of a badge showing its last known figure while the store is unavailable. */
const STALE_MAX_AGE_SECONDS = 30;

/**
 * Adds `GET /badge/{slug}/{instances|version|combined}` and
 * `/badge/{slug}/metric/{name}`. A slug or metric name that breaks its rule
 * (checked by the router, before any query) is answered as a grey badge too.
 */
export function addBadgeRoutes(router: Router, deps: BadgeRouteDeps): void {
  const cacheControl = `public, max-age=${deps.maxAgeSeconds}`;
  // A last known figure served while the store is away: fine to show, soon to be replaced.
  const staleCacheControl = `public, max-age=${
    Math.min(deps.maxAgeSeconds, STALE_MAX_AGE_SECONDS)
  }`;
  const refused: RouteOptions = {
    refuse: async (ctx, problem) => {
      const { format } = splitFormat(ctx.params["metric"] ?? ctx.params["badge"] ?? "");
      return await badgeResponse(ctx.request, {
        answer: refusedAnswer(ctx, problem),
        format,
        cacheControl,
      });
    },
  };

  const serve =
    (compute: (ctx: RouteContext, format: Format) => Promise<BadgeAnswer>) =>
    async (ctx: RouteContext): Promise<Response> => {
      const { format } = splitFormat(ctx.params["badge"] ?? ctx.params["metric"] ?? "");
      let answer: BadgeAnswer;
      let cache = cacheControl;
      try {
        answer = await compute(ctx, format);
        if (answer.stale === true) cache = staleCacheControl;
      } catch (error) {
        // A badge is an image in someone's README: even a fault answers as one, never cached.
        if (error instanceof StoreUnavailableError) {
          // The outage itself is logged once, where the store reports it; not once per badge.
          deps.log.debug("badge store unavailable", {
            path: ctx.url.pathname,
            error: error.message,
          });
        } else deps.log.error("badge failed", { path: ctx.url.pathname, error });
        answer = problemAnswer("unavailable", { label: "badge", style: "flat", status: 503 });
        cache = "no-store";
      }
      return await badgeResponse(ctx.request, { answer, format, cacheControl: cache });
    };

  router.on(
    "GET",
    "/badge/:slug/:badge",
    serve(async ({ url, params }) => {
      const slug = params["slug"] ?? "";
      const { name: badge } = splitFormat(params["badge"] ?? "");
      const parsed = parseBadgeOptions(url.searchParams);
      const defaultLabel = badge === "version" ? "version" : "instances";
      if (badge !== "instances" && badge !== "version" && badge !== "combined") {
        return problemAnswer("unknown badge", { label: "badge", style: "flat", status: 404 });
      }
      if (!parsed.ok) {
        return problemAnswer(parsed.problem, {
          label: defaultLabel,
          style: parsed.style,
          status: 200,
        });
      }
      const options = parsed.options;
      if (badge === "instances") {
        return figureAnswer(await activeInstancesFigure(deps.badges, slug), {
          options,
          defaultLabel,
          countBadge: true,
          message: compactNumber,
        });
      }
      if (badge === "version") {
        return figureAnswer(await commonVersionFigure(deps.badges, slug), {
          options,
          defaultLabel,
          countBadge: false,
          message: versionMessage,
        });
      }
      const metric = url.searchParams.get("metric") ?? "";
      if (!isMetricKey(metric)) {
        return problemAnswer(metric === "" ? "metric missing" : "invalid metric", {
          label: options.label ?? defaultLabel,
          style: options.style,
          status: 200,
        });
      }
      const figure = await combinedFigure(deps.badges, slug, {
        metric,
        aggregate: options.aggregate,
      });
      return figureAnswer(figure, {
        options,
        defaultLabel,
        countBadge: true,
        message: combinedMessage(metric),
      });
    }),
    refused,
  );

  router.on(
    "GET",
    "/badge/:slug/metric/:metric",
    serve(async ({ url, params }) => {
      const slug = params["slug"] ?? "";
      const { name: metric } = splitFormat(params["metric"] ?? "");
      const parsed = parseBadgeOptions(url.searchParams);
      const label = parsed.ok && parsed.options.label !== undefined ? parsed.options.label : metric;
      if (!parsed.ok) {
        return problemAnswer(parsed.problem, { label, style: parsed.style, status: 200 });
      }
      const figure = await metricFigure(deps.badges, slug, {
        metric,
        aggregate: parsed.options.aggregate,
      });
      return figureAnswer(figure, {
        options: parsed.options,
        defaultLabel: metric,
        countBadge: parsed.options.aggregate === "count",
        message: metricMessage,
      });
    }),
    refused,
  );
}

/**
 * The grey badge of a path the router refused: a slug that cannot name an
 * application reads as an unknown app (404), a badge name as an unknown badge
 * (404), a metric name as an invalid metric (200, as a bad query parameter).
 */
function refusedAnswer(ctx: RouteContext, problem: ParamProblem): BadgeAnswer {
  const parsed = parseBadgeOptions(ctx.url.searchParams);
  const style = parsed.ok ? parsed.options.style : parsed.style;
  const label = parsed.ok ? parsed.options.label : undefined;
  if (problem.name === "badge") {
    return problemAnswer("unknown badge", { label: "badge", style: "flat", status: 404 });
  }
  // The metric's own name labels its badge, when it can be shown at all.
  const metric = splitFormat(ctx.params["metric"] ?? "").name;
  const metricLabel = isDisplayText(metric) && metric !== ""
    ? printableText(metric, MAX_BADGE_TEXT_LENGTH)
    : "metric";
  if (problem.name === "metric") {
    return problemAnswer("invalid metric", { label: label ?? metricLabel, style, status: 200 });
  }
  const badge = splitFormat(ctx.params["badge"] ?? "").name;
  const defaultLabel = ctx.params["metric"] !== undefined
    ? metricLabel
    : badge === "version"
    ? "version"
    : "instances";
  return problemAnswer("unknown app", { label: label ?? defaultLabel, style, status: 404 });
}

/** `instances.json` → `instances` in JSON; anything else is the SVG badge of that name. */
function splitFormat(segment: string): { name: string; format: Format } {
  return segment.endsWith(".json")
    ? { name: segment.slice(0, -".json".length), format: "json" }
    : { name: segment, format: "svg" };
}

/**
 * The HTTP answer for a badge: SVG or JSON body, `Cache-Control`, a strong
 * ETag over the exact bytes, and 304 when `If-None-Match` names it (for a
 * 200 only: other statuses are never answered conditionally).
 */
async function badgeResponse(
  request: Request,
  options: { answer: BadgeAnswer; format: Format; cacheControl: string },
): Promise<Response> {
  const { answer, format } = options;
  const { body, etag } = await renderedBadge(format, answer.face);
  const headers: Record<string, string> = {
    "cache-control": options.cacheControl,
    etag,
    "x-content-type-options": "nosniff",
  };
  if (answer.status === 200 && etagMatches(request.headers.get("if-none-match"), etag)) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(body, {
    status: answer.status,
    headers: {
      ...headers,
      "content-type": format === "json"
        ? "application/json; charset=utf-8"
        : "image/svg+xml; charset=utf-8",
      // Opened directly, the SVG may draw but never load or run anything.
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
    },
  });
}

/** Rendered bodies and their tags by format and face: drawing is pure, so entries never go stale. */
const RENDERED = new Map<string, Promise<{ body: string; etag: string }>>();
const MAX_RENDERED = 5_000;

/** The badge's bytes and strong ETag, drawn once per distinct face (badge-maker is the costly part). */
function renderedBadge(format: Format, face: BadgeAnswer["face"]) {
  const key = JSON.stringify([
    format,
    face.style,
    face.color,
    face.isError,
    face.label,
    face.message,
  ]);
  let rendered = RENDERED.get(key);
  if (rendered === undefined) {
    const body = format === "json" ? badgeJson(face) : badgeSvg(face);
    rendered = strongEtag(body).then((etag) => ({ body, etag }));
    RENDERED.set(key, rendered);
    if (RENDERED.size > MAX_RENDERED) {
      const oldest = RENDERED.keys().next();
      if (!oldest.done) RENDERED.delete(oldest.value);
    }
  }
  return rendered;
}

async function strongEtag(body: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body));
  const hex = Array.from(
    new Uint8Array(digest).subarray(0, 16),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
  return `"${hex}"`;
}

/** `If-None-Match` compares weakly (RFC 9110 13.1.2): a `W/` prefix does not stop a match. */
function etagMatches(header: string | null, etag: string): boolean {
  if (header === null) return false;
  return header.split(",").some((tag) => {
    const value = tag.trim();
    return value === "*" || value.replace(/^W\//, "") === etag;
  });
}
