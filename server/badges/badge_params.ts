/** The query parameters every badge takes, parsed once into typed values or a problem to show. */

import {
  BADGE_STYLES,
  type BadgeStyle,
  MAX_BADGE_TEXT_LENGTH,
  METRIC_AGGREGATES,
  type MetricAggregate,
} from "../../shared/badge_grammar.ts";
import { isDisplayText } from "../../shared/text_rules.ts";

/** The color names shields.io knows, which badge-maker draws. */
const NAMED_COLORS: ReadonlySet<string> = new Set([
  "brightgreen",
  "green",
  "yellowgreen",
  "yellow",
  "orange",
  "red",
  "blue",
  "lightgrey",
  "lightgray",
  "grey",
  "gray",
  "blueviolet",
  "success",
  "important",
  "critical",
  "informational",
  "inactive",
]);

/** A badge's options from its query string. */
export interface BadgeOptions {
  readonly label: string | undefined;
  readonly color: string | undefined;
  readonly style: BadgeStyle;
  readonly aggregate: MetricAggregate;
}

/** Parsed options, or the short text a grey badge shows for the first bad parameter. */
export type ParsedOptions =
  | { readonly ok: true; readonly options: BadgeOptions }
  | { readonly ok: false; readonly problem: string; readonly style: BadgeStyle };

/**
 * Reads `label`, `color`, `style` and `agg` from `query`. A label follows the
 * display-text rule (no control or bidirectional characters). Colors are shields
 * names or 3 or 6 hex digits (a leading `#` is allowed); unknown parameters
 * are ignored (cache busters, `logo`).
 */
export function parseBadgeOptions(query: URLSearchParams): ParsedOptions {
  const styleText = query.get("style") ?? "flat";
  const style = BADGE_STYLES.find((s) => s === styleText);
  if (style === undefined) return { ok: false, problem: "invalid style", style: "flat" };
  const label = query.get("label") ?? undefined;
  if (label !== undefined && [...label].length > MAX_BADGE_TEXT_LENGTH) {
    return { ok: false, problem: "label too long", style };
  }
  if (label !== undefined && !isDisplayText(label)) {
    return { ok: false, problem: "invalid label", style };
  }
  const colorText = query.get("color") ?? undefined;
  const color = colorText === undefined ? undefined : badgeColor(colorText);
  if (color === null) return { ok: false, problem: "invalid color", style };
  const aggText = query.get("agg") ?? "sum";
  const aggregate = METRIC_AGGREGATES.find((a) => a === aggText);
  if (aggregate === undefined) return { ok: false, problem: "invalid agg", style };
  return { ok: true, options: { label, color, style, aggregate } };
}

/** A color as badges take it (lowercase name or hex digits), or null when it is neither. */
export function badgeColor(text: string): string | null {
  const value = text.trim().toLowerCase().replace(/^#/, "");
  if (NAMED_COLORS.has(value)) return value;
  return /^(?:[0-9a-f]{3}|[0-9a-f]{6})$/.test(value) ? value : null;
}
