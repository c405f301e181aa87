/**
 * The public badge endpoints under `/badge/{slug}/`: SVG by default, the
 * shields endpoint JSON with `.json` after the path. Every answer is a badge,
 * even a problem (grey, readable): a refused path parameter is drawn by
 * {@linkcode refusedBadge}, a fault by the badge error renderer
 * (`error_renderers.ts`).
 */

import { MAX_BADGE_TEXT_LENGTH } from "../../shared/badge_grammar.ts";
import { isDisplayText, isMetricKey, printableText } from "../../shared/text_rules.ts";
import {
  type BadgeAnswer,
  combinedMessage,
  compactNumber,
  figureAnswer,
  metricMessage,
  parseBadgeOptions,
  problemAnswer,
  versionMessage,
} from "../badges/mod.ts";
import {
  activeInstancesFigure,
  type BadgeContext,
  combinedFigure,
  commonVersionFigure,
  metricFigure,
} from "../stats/mod.ts";
import { latestReleaseFigure } from "../github/mod.ts";
import { badgeCacheControl, badgeResponse, splitFormat } from "./badge_response.ts";
import type { Handler } from "./route_declaration.ts";
import type { ParamProblem, RouteContext } from "./router.ts";

/** What the badge routes are built from. */
export interface BadgeRouteDeps {
  readonly badges: BadgeContext;
  /** Seconds a badge may be cached. */
  readonly maxAgeSeconds: number;
}

/**
 * The handlers of `GET /badge/{slug}/{instances|version|combined|latest}` (`named`)
 * and `/badge/{slug}/metric/{name}` (`metric`).
 */
export function badgeHandlers(deps: BadgeRouteDeps): {
  named: Handler<"public">;
  metric: Handler<"public">;
} {
  const serve =
    (compute: (ctx: RouteContext) => Promise<BadgeAnswer>): Handler<"public"> => async (ctx) => {
      const { format } = splitFormat(ctx.params["badge"] ?? ctx.params["metric"] ?? "");
      const answer = await compute(ctx);
      return await badgeResponse(ctx.request, {
        answer,
        format,
        cacheControl: badgeCacheControl(answer, deps.maxAgeSeconds),
      });
    };

  const named = serve(async ({ url, params }) => {
    const slug = params["slug"] ?? "";
    const { name: badge } = splitFormat(params["badge"] ?? "");
    const parsed = parseBadgeOptions(url.searchParams);
    const defaultLabel = badge === "version"
      ? "version"
      : badge === "latest"
      ? LATEST_LABEL
      : "instances";
    if (
      badge !== "instances" && badge !== "version" && badge !== "combined" && badge !== "latest"
    ) {
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
    if (badge === "latest") {
      return figureAnswer(await latestReleaseFigure(deps.badges, slug), {
        options,
        defaultLabel,
        countBadge: false,
        message: latestShareMessage,
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
  });

  const metric = serve(async ({ url, params }) => {
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
  });

  return { named, metric };
}

/** The `latest` badge's default label. */
const LATEST_LABEL = "on latest";

/** The share on the latest release as a whole percentage (`63%`); `no release` when there is none. */
function latestShareMessage(share: number | null): string {
  return share === null ? "no release" : `${Math.round(share * 100)}%`;
}

/**
 * The grey badge of a path the router refused: a slug that cannot name an
 * application reads as an unknown app (404), a badge name as an unknown badge
 * (404), a metric name as an invalid metric (200, as a bad query parameter).
 */
export function refusedBadge(ctx: RouteContext, problem: ParamProblem): BadgeAnswer {
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
    : badge === "latest"
    ? LATEST_LABEL
    : "instances";
  return problemAnswer("unknown app", { label: label ?? defaultLabel, style, status: 404 });
}
