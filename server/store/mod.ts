/**
 * The store: everything that speaks SQL, one function per question. Other
 * layers import from here only. Grouped by table; the drivers, the schema and
 * the bulk movers come last.
 */

// Applications: the one look-up by slug, and the settings an operator chooses.
export {
  type Application,
  type ApplicationSettings,
  type ApplicationSettingsChange,
  findApplication,
  updateApplicationSettings,
} from "./applications.ts";
// The public page's figures as the upkeep stored them, and the applications whose page is on.
export {
  findPublicPageApplication,
  publicPageApplications,
  savePublicPages,
  type StoredPublicPage,
} from "./public_pages.ts";

// Instances: the one row type (what returns fewer columns picks from it), the writes of
// ingestion, and the reads of the admin API and the instance pages.
export {
  activateInstance,
  changeInstanceStatus,
  eraseInstance,
  type EraseOutcome,
  findInstanceIdentity,
  type Instance,
  type InstanceStatus,
  registerInstance,
  type Registration,
  setInstanceStatus,
  type StatusChange,
} from "./instances.ts";
export {
  countFleet,
  findInstanceDetail,
  type InstanceDayRow,
  type InstanceFilters,
  type InstanceKey,
  type InstanceListRow,
  type InstanceSort,
  type InstanceWithApp,
  listInstanceDays,
  listInstances,
} from "./instance_queries.ts";

// Snapshots: stored only if newer, with the instance's latest state and day of history; the
// raw rows' daily partitions.
export {
  insertSnapshotIfNewer,
  insertSnapshotsIfNewer,
  type InstanceDay,
  type RawSnapshot,
  type SnapshotOutcome,
  type SnapshotRecord,
  type TimedSnapshot,
} from "./snapshots.ts";
export { maintainSnapshots } from "./snapshot_partitions.ts";
export {
  deleteHistoryBefore,
  deleteInstancesNotSeenSince,
  type RetentionBatch,
} from "./retention.ts";

// Summaries and rollups, computed by the upkeep: daily rollups and their reads, each
// application's summary of its latest state, hourly activity, what a badge shows.
export { markRollupsStale, refreshRollups, type RollupReport } from "./rollups/rollups.ts";
export { ROLLUP_SCOPES, type RollupScope } from "./rollups/rollup_scope.ts";
export {
  activeOnDays,
  type AppDayMetricRow,
  appDayMetricRows,
  type AppDayRow,
  appDayRows,
  type AppDayShareRow,
  appDayShareRows,
  appMetricKeyFacts,
  type MetricKeyFacts,
} from "./rollups/rollup_queries.ts";
export {
  type ApplicationSummary,
  excludedEnvironmentsChanged,
  findSummaryFigures,
  listApplicationSummaries,
  refreshSummaries,
  type SummaryFigures,
} from "./rollups/app_summaries.ts";
export { hourlyActivityByVersion, refreshHourlyActivity } from "./rollups/hourly_activity.ts";
export {
  type ExportedBreakdownRow,
  type ExportedFigures,
  type ExportedMetric,
  listExportedFigures,
} from "./exported_figures.ts";

// Alerts: rules, what their evaluation reads, and the log of their deliveries.
export {
  type AlertAppFigures,
  alertAppFigures,
  type AlertKind,
  type AlertRuleRow,
  appWeekCounts,
  claimDeliveries,
  type ClaimedDelivery,
  countAlertRules,
  deleteAlertRule,
  type DeliveryRow,
  findAlertRule,
  findAlertSecret,
  finishDeliveryAttempt,
  insertAlertRule,
  insertDelivery,
  listAlertRules,
  listDeliveries,
  type NewAlertRule,
  type NewDelivery,
  saveAlertState,
  takeDueDigests,
  withAlertLock,
} from "./alerts.ts";
export {
  type BadgeSummary,
  findBadgeSummary,
  type MetricAggregates,
} from "./rollups/badge_summary.ts";

// GitHub: an application's repository, claimed by the upkeep when due, and what its reads found.
export {
  claimDueGithubRepos,
  type DueGithubRepo,
  findGithubRepo,
  type GithubReadOutcome,
  type GithubReleaseRow,
  type GithubRepoRow,
  listGithubReleases,
  listGithubStars,
  saveGithubRead,
  setGithubRepo,
} from "./github.ts";

// Accounts: users and their roles, invitations, browser sessions and API tokens.
export {
  countUsers,
  findUserCredentials,
  insertFirstUser,
  insertUser,
  listUsers,
  updatePasswordHash,
  type UserCredentials,
  type UserRole,
  type UserRow,
} from "./accounts/users.ts";
export {
  changeUserAccess,
  deleteUser,
  type UserAccess,
  type UserAccessOutcome,
} from "./accounts/user_access.ts";
export { findOidcUser, insertOidcIdentity, type OidcUser } from "./accounts/oidc_identities.ts";
export {
  findInvite,
  type InviteRow,
  listInvites,
  takeInvite,
  upsertInvite,
} from "./accounts/invites.ts";
export {
  deleteExpiredSessions,
  deleteSession,
  findSessionUser,
  insertSession,
  type SessionUser,
} from "./accounts/sessions.ts";
export {
  anyLiveApiToken,
  type ApiTokenRow,
  insertApiToken,
  listApiTokens,
  revokeApiToken,
  type TokenScope,
  type TokenUse,
  useApiToken,
} from "./accounts/api_tokens.ts";

// The audit log: who changed what and when, written in the transaction of the change.
export {
  type AuditEntry,
  insertAuditEntry,
  listAuditEntries,
  withAuditEntry,
} from "./audit_log.ts";

// Opening the store, its schema, and the drivers' face: the database interface and the `sql`
// tag, a request's budget of waiting, the readiness question.
export { openMigratedStore, openReadRouting, openStore } from "./open_store.ts";
export type { ReadSource, RoutedDatabase } from "./drivers/read_routing.ts";
export { MIGRATIONS } from "../../migrations/mod.ts";
export { migrationStatus, runMigrations, schemaVersion } from "./migrate.ts";
export { type Database, sql, type SqlQuery } from "./drivers/database.ts";
export {
  outsideStoreBudget,
  runWithinStoreBudget,
  waitWithinStoreBudget,
} from "./drivers/request_budget.ts";
export { checkStoreAnswers } from "./drivers/readiness.ts";

// Bulk movers: many rows per statement, for the commands that fill or move a whole store.
export {
  buildHistoryIndexes,
  dropHistoryIndexes,
  insertDemoDays,
  insertDemoInstances,
  insertDemoSnapshots,
  upsertDemoApplications,
} from "./bulk/demo_writes.ts";
export {
  type ImportedInstance,
  type ImportedSnapshot,
  importGithubLink,
  importInstance,
  importSnapshots,
} from "./bulk/import_shm_writes.ts";
export {
  checkOriginalSchema,
  listOriginalGithubLinks,
  listOriginalInstances,
  type OriginalGithubLink,
  type OriginalInstance,
  type OriginalSnapshot,
  readOriginalSnapshots,
} from "./bulk/original_shm_source.ts";
export { exportRows, importRows, type PortableTable } from "./bulk/portable_rows.ts";
export { backupEmbeddedStore, BackupError, restoreEmbeddedStore } from "./bulk/embedded_backup.ts";
