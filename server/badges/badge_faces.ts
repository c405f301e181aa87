/** What each badge says: a figure from `stats` turned into label, message and color. */

import type { BadgeStyle } from "../../shared/badge_grammar.ts";
import type { BadgeFigure, CombinedFigure } from "../stats/mod.ts";
import { printableText } from "../../shared/text_rules.ts";
import type { BadgeOptions } from "./badge_params.ts";
import { compactNumber } from "./compact_number.ts";
import type { BadgeFace } from "./render_badge.ts";

/** The color of badges that carry a number, unless `?color=` says otherwise. */
export const DEFAULT_COLOR = "blue";
/** The color of badges that report a problem or have nothing to show. */
export const PROBLEM_COLOR = "lightgrey";

/** A face and the status it is served with. */
export interface BadgeAnswer {
  readonly face: BadgeFace;
  readonly status: number;
  /** True when the figure is the last one known, the store being unavailable: cache it briefly. */
  readonly stale?: boolean;
}

/** A grey badge for a problem (`unknown app`, `invalid color`), served with `status`. */
export function problemAnswer(
  problem: string,
  options: { label: string; style: BadgeStyle; status: number },
): BadgeAnswer {
  return {
    status: options.status,
    face: {
      label: options.label,
      message: problem,
      color: PROBLEM_COLOR,
      style: options.style,
      isError: true,
    },
  };
}

/**
 * Turns a figure into a badge: `hidden` into a grey 404 `unknown app`,
 * `too_few` into `< N` (or `< N instances` when `countBadge` is false, so that
 * a version or metric does not read as a number), a value through `message`
 * (null from it means `no data`, grey). A stale figure gives a stale answer.
 */
export function figureAnswer<T>(
  figure: BadgeFigure<T>,
  options: {
    options: BadgeOptions;
    defaultLabel: string;
    countBadge: boolean;
    message: (value: T) => string | null;
  },
): BadgeAnswer {
  const answer = freshFigureAnswer(figure, options);
  return figure.stale === true ? { ...answer, stale: true } : answer;
}

function freshFigureAnswer<T>(
  figure: BadgeFigure<T>,
  options: Parameters<typeof figureAnswer<T>>[1],
): BadgeAnswer {
  const { label = options.defaultLabel, color, style } = options.options;
  if (figure.kind === "hidden") return problemAnswer("unknown app", { label, style, status: 404 });
  const message = figure.kind === "too_few"
    ? tooFew(figure.minimum, options.countBadge)
    : options.message(figure.value);
  if (message === null) return problemAnswer("no data", { label, style, status: 200 });
  return {
    status: 200,
    face: { label, message, color: color ?? DEFAULT_COLOR, style, isError: false },
  };
}

/** A version as shields shows it: `v` before a version that starts with a digit. */
export function versionMessage(version: string | null): string | null {
  if (version === null) return null;
  // A reported version may hold a tab or worse, which an SVG (XML) cannot carry.
  const shown = printableText(version, 50);
  return /^\d/.test(shown) ? `v${shown}` : shown;
}

/** A metric's number, or null (no data). */
export function metricMessage(value: number | null): string | null {
  return value === null ? null : compactNumber(value);
}

/** Instances and a metric: `1.2k · 3.4M users`; a metric too few report, or none, reads `n/a`. */
export function combinedMessage(metric: string) {
  return (value: CombinedFigure): string => {
    const part = value.metric.kind === "value" && value.metric.value !== null
      ? compactNumber(value.metric.value)
      : "n/a";
    return `${compactNumber(value.instances)} · ${part} ${metric}`;
  };
}

function tooFew(minimum: number, countBadge: boolean): string {
  return countBadge ? `< ${minimum}` : `< ${minimum} instances`;
}
