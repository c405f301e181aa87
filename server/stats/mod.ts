/** Stats: stored facts turned into the numbers the admin API, pages and badges show. */

export { activeSince, type StatsContext } from "./context.ts";
export { applicationDetail, applicationsOverview, fleetSummary } from "./fleet.ts";
export { instancePage, type InstanceQuery, instanceView } from "./instance_list.ts";
export { dailyMetrics, type MetricDay } from "./daily_metrics.ts";
export * from "./badges.ts";
export * from "./dashboard.ts";
export * from "./app_activity.ts";
export { FigureCache } from "./figure_cache.ts";
export * from "./instance_pages.ts";
export { type ApplicationSettingsView, applicationSettingsView } from "./app_settings.ts";
