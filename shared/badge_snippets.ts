/**
 * What the badge builder makes, as plain functions the server and the island
 * share: a badge choice read from a query string, the badge's URL on this
 * server, and its Markdown and HTML snippets.
 */

import {
  BADGE_KINDS,
  BADGE_STYLES,
  type BadgeKind,
  type BadgeStyle,
  MAX_BADGE_TEXT_LENGTH,
  METRIC_AGGREGATES,
  type MetricAggregate,
  usesMetric,
} from "./badge_grammar.ts";

/** Everything the builder lets one choose; empty label or color means the badge's default. */
export interface BadgeChoice {
  readonly kind: BadgeKind;
  /** The metric of a `metric` or `combined` badge. */
  readonly metric: string;
  readonly agg: MetricAggregate;
  readonly label: string;
  readonly color: string;
  readonly style: BadgeStyle;
}

function oneOf<T extends string>(list: readonly T[], value: string | null, fallback: T): T {
  return list.find((item) => item === value) ?? fallback;
}

/**
 * Reads a choice from the builder form's query string (`badge`, `metric`,
 * `agg`, `label`, `color`, `style`); anything missing or unknown becomes the
 * default. A metric badge needs a metric of `metrics`, else it is `instances`.
 */
export function readBadgeChoice(query: URLSearchParams, metrics: readonly string[]): BadgeChoice {
  const wanted = query.get("metric") ?? "";
  const metric = metrics.includes(wanted) ? wanted : metrics[0] ?? "";
  const kind = oneOf(BADGE_KINDS, query.get("badge"), "instances");
  return {
    kind: usesMetric(kind) && metric === "" ? "instances" : kind,
    metric,
    agg: oneOf(METRIC_AGGREGATES, query.get("agg"), "sum"),
    label: [...(query.get("label") ?? "").trim()].slice(0, MAX_BADGE_TEXT_LENGTH).join(""),
    color: (query.get("color") ?? "").trim().replace(/^#/, "").slice(0, MAX_BADGE_TEXT_LENGTH),
    style: oneOf(BADGE_STYLES, query.get("style"), "flat"),
  };
}

/** `text` as one URL path segment, with the characters Markdown links trip on encoded too. */
function pathSegment(text: string): string {
  return encodeURIComponent(text).replace(
    /[()!'*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The badge's path and query on this server, e.g. `/badge/my-app/metric/users?agg=avg`. */
export function badgePath(slug: string, choice: BadgeChoice): string {
  const base = `/badge/${pathSegment(slug)}`;
  const query = new URLSearchParams();
  let path = `${base}/${choice.kind}`;
  if (choice.kind === "metric") path = `${base}/metric/${pathSegment(choice.metric)}`;
  if (choice.kind === "combined") query.set("metric", choice.metric);
  if (usesMetric(choice.kind) && choice.agg !== "sum") query.set("agg", choice.agg);
  if (choice.label !== "") query.set("label", choice.label);
  if (choice.color !== "") query.set("color", choice.color);
  if (choice.style !== "flat") query.set("style", choice.style);
  const text = query.toString();
  return text === "" ? path : `${path}?${text}`;
}

/** The badge's text alternative: its label, or the label it shows by default. */
export function badgeAlt(choice: BadgeChoice): string {
  if (choice.label !== "") return choice.label;
  return choice.kind === "metric"
    ? choice.metric
    : choice.kind === "version"
    ? "version"
    : choice.kind === "latest"
    ? "on latest"
    : "instances";
}

const HTML_ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ENTITIES[char] ?? char);
}

/** The Markdown and HTML that show the badge at `url` (absolute) with `alt`. */
export function badgeSnippets(url: string, alt: string): { markdown: string; html: string } {
  return {
    markdown: `![${alt.replace(/[\\[\]]/g, (char) => `\\${char}`)}](${url})`,
    html: `<img src="${escapeHtml(url)}" alt="${escapeHtml(alt)}">`,
  };
}
