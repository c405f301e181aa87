/**
 * Stats: stored facts turned into the numbers the admin API, pages and badges
 * show. Domain values only (camelCase, `Date`, results discriminated by
 * `kind` such as `{ kind: "unknown_app" }`): no wire JSON, no status codes.
 */

export { activeSince, type StatsContext } from "./context.ts";
export {
  INVALID_CURSOR,
  type InvalidCursor,
  UNKNOWN_APP,
  UNKNOWN_INSTANCE,
  type UnknownApp,
  type UnknownInstance,
} from "./results.ts";
export {
  type ApplicationDetail,
  applicationDetail,
  type ApplicationFigures,
  applicationsOverview,
  type FleetSummary,
  fleetSummary,
} from "./fleet.ts";
export { instancePage, type InstanceQuery } from "./instance_list.ts";
export { INSTANCE_SORTS, type InstancePage, isInstanceSort } from "./instance_paging.ts";
export {
  type ActivityDay,
  type DailyMetrics,
  dailyMetrics,
  type MetricDay,
} from "./daily_metrics.ts";
export {
  activeInstancesFigure,
  type BadgeContext,
  type BadgeFigure,
  type CombinedFigure,
  combinedFigure,
  commonVersionFigure,
  metricFigure,
} from "./badges.ts";
export { type ApplicationCard, dashboardOverview, TREND_DAYS } from "./dashboard.ts";
export {
  type ApplicationActivity,
  applicationActivity,
  type DailyDetail,
  DASHBOARD_PERIODS,
  type DashboardPeriod,
  isDashboardPeriod,
  type NumberMetricSeries,
  PLATFORM_FIELDS,
  type ShareSeries,
  shareSeries,
  type ValueMetricSeries,
} from "./app_activity.ts";
export {
  applicationPage,
  type ApplicationPageFigures,
  ENVIRONMENT_CHOICES,
  type EnvironmentChoice,
  type ExcludedActivity,
  isEnvironmentChoice,
} from "./app_page.ts";
export {
  DEFAULT_EXCLUDED_ENVIRONMENTS,
  type ExcludedEnvironmentsReading,
  MAX_EXCLUDED_ENVIRONMENTS,
  readExcludedEnvironments,
  readExcludedEnvironmentsField,
} from "./excluded_environments.ts";
export { FigureCache, type LastKnownShare } from "./figure_cache.ts";
export {
  type AppInstancePage,
  appInstancePage,
  type AppInstanceQuery,
  type InstanceDetail,
  instanceDetail,
} from "./instance_pages.ts";
export {
  type ApplicationSettings,
  applicationSettings,
  type ApplicationSettingsChange,
  type ApplicationSettingsView,
  applicationSettingsView,
  changeApplicationSettings,
} from "./app_settings.ts";
export type { InstanceFilters, InstanceListRow, InstanceSort } from "../store/mod.ts";
export {
  type GuardedCount,
  type MetricKind,
  type NoPublicPage,
  PUBLIC_PAGE_DAYS,
  type PublicMetric,
  type PublicPageContext,
  type PublicPageFigures,
  publicPageFigures,
  type PublicSeries,
  type PublicShare,
  refreshPublicPages,
  type SentKey,
  SYSTEM_KEYS,
} from "./public_page.ts";
