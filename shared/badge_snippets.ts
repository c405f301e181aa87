/**
 * What the badge builder makes, as plain functions the server and the island
 * share: a badge choice read from a query string, the badge's URL on this
 * server, and its Markdown and HTML snippets.
 */

/** The badges of `/badge/{slug}/…`. */
export const BADGE_KINDS = ["instances", "version", "metric", "combined"] as const;
/** A badge of `/badge/{slug}/…`. */
export type BadgeKind = (typeof BADGE_KINDS)[number];

/** How a metric badge aggregates its instances' values (`?agg=`). */
export const BADGE_AGGREGATES = ["sum", "avg", "min", "max", "count"] as const;
/** One of {@linkcode BADGE_AGGREGATES}. */
export type BadgeAggregate = (typeof BADGE_AGGREGATES)[number];

/** The styles badges are drawn in (`?style=`). */
export const BADGE_STYLE_NAMES = ["flat", "flat-square", "plastic", "for-the-badge"] as const;
/** One of {@linkcode BADGE_STYLE_NAMES}. */
export type BadgeStyleName = (typeof BADGE_STYLE_NAMES)[number];

/** Everything the builder lets one choose; empty label or color means the badge's default. */
export interface BadgeChoice {
  readonly kind: BadgeKind;
  /** The metric of a `metric` or `combined` badge. */
  readonly metric: string;
  readonly agg: BadgeAggregate;
  readonly label: string;
  readonly color: string;
  readonly style: BadgeStyleName;
}

/** Longest label or color kept from a query string. */
const MAX_TEXT = 100;

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
    kind: (kind === "metric" || kind === "combined") && metric === "" ? "instances" : kind,
    metric,
    agg: oneOf(BADGE_AGGREGATES, query.get("agg"), "sum"),
    label: [...(query.get("label") ?? "").trim()].slice(0, MAX_TEXT).join(""),
    color: (query.get("color") ?? "").trim().replace(/^#/, "").slice(0, MAX_TEXT),
    style: oneOf(BADGE_STYLE_NAMES, query.get("style"), "flat"),
  };
}

/** `text` as one URL path segment, with the characters Markdown links trip on encoded too. */
function pathSegment(text: string): string {
  return encodeURIComponent(text).replace(
    /[()!'*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Whether the badge reads a metric. */
export function usesMetric(kind: BadgeKind): boolean {
  return kind === "metric" || kind === "combined";
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
