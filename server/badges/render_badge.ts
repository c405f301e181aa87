/** Drawing a badge: SVG through `badge-maker` (the shields.io renderer), or the shields endpoint JSON. */

import { makeBadge } from "badge-maker";
import type { BadgeStyle } from "../../shared/badge_grammar.ts";

/** What a badge says and how it looks; `color` is a shields color name or hex without `#`. */
export interface BadgeFace {
  readonly label: string;
  readonly message: string;
  readonly color: string;
  readonly style: BadgeStyle;
  /** True for badges that report a problem (unknown app, bad parameter) rather than a number. */
  readonly isError: boolean;
}

/**
 * Renders the badge as SVG with a `<title>` reading `label: message`.
 * badge-maker escapes label and message as XML text and attributes, so any
 * text (from a query string or an instance's report) is safe to pass.
 */
export function badgeSvg(face: BadgeFace): string {
  return makeBadge({
    label: face.label,
    message: face.message,
    color: /^[0-9a-f]+$/i.test(face.color) ? `#${face.color}` : face.color,
    style: face.style,
  });
}

/** Renders the badge in the shields.io endpoint format, for `https://img.shields.io/endpoint?url=…`. */
export function badgeJson(face: BadgeFace): string {
  return JSON.stringify({
    schemaVersion: 1,
    label: face.label,
    message: face.message,
    color: face.color,
    style: face.style,
    ...(face.isError ? { isError: true } : {}),
  });
}
