/**
 * What a badge URL may say: the badges of `/badge/{slug}/…`, how a metric
 * badge aggregates its instances' values (`?agg=`), the styles badges are
 * drawn in (`?style=`), and the longest label or metric name taken. The
 * server's badge routes parse by it; the badge builder offers exactly it.
 */

/**
 * The badges of `/badge/{slug}/…`; `metric` is `/badge/{slug}/metric/{name}`,
 * `latest` the share of active instances on the latest GitHub release.
 */
export const BADGE_KINDS = ["instances", "version", "metric", "combined", "latest"] as const;

/** One of {@linkcode BADGE_KINDS}. */
export type BadgeKind = (typeof BADGE_KINDS)[number];

/** Every aggregate a metric badge accepts (`?agg=`), the default first. */
export const METRIC_AGGREGATES = ["sum", "avg", "min", "max", "count"] as const;

/** How a metric's values over active instances are combined into one number. */
export type MetricAggregate = (typeof METRIC_AGGREGATES)[number];

/** Every style a badge can be drawn in (`?style=`), the default first. */
export const BADGE_STYLES = ["flat", "flat-square", "plastic", "for-the-badge"] as const;

/** One of {@linkcode BADGE_STYLES}. */
export type BadgeStyle = (typeof BADGE_STYLES)[number];

/**
 * Longest label a badge takes from its URL, in characters: a metric name
 * shown as a label is cut to it, and the builder keeps labels and colors
 * within it.
 */
export const MAX_BADGE_TEXT_LENGTH = 100;

/** Whether the badge reads a metric (`metric` and `combined`). */
export function usesMetric(kind: BadgeKind): boolean {
  return kind === "metric" || kind === "combined";
}
