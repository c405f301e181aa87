/**
 * Badges as pure functions: query parameters → options, a figure from
 * `stats` → a face (label, message, color, style), a face → SVG or shields
 * JSON. No HTTP here: the badge routes, their caching and ETags are in
 * `http/badge_routes.ts` and `http/badge_response.ts`.
 */

export {
  type BadgeAnswer,
  combinedMessage,
  DEFAULT_COLOR,
  figureAnswer,
  metricMessage,
  PROBLEM_COLOR,
  problemAnswer,
  versionMessage,
} from "./badge_faces.ts";
export {
  badgeColor,
  type BadgeOptions,
  parseBadgeOptions,
  type ParsedOptions,
} from "./badge_params.ts";
export { compactNumber } from "./compact_number.ts";
export { type BadgeFace, badgeJson, badgeSvg } from "./render_badge.ts";
