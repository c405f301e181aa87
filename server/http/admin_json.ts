/**
 * The admin API's JSON, made from the domain values of `stats`: snake_case
 * keys, times as ISO 8601 text, in the key order the API has always written
 * (docs/protocol.md). The only place these shapes are made.
 */

import type {
  ApplicationDetail,
  ApplicationFigures,
  ApplicationSettings,
  DailyMetrics,
  FleetSummary,
  InstanceDetail,
  InstancePage,
} from "../stats/mod.ts";
import type { AuditEntry } from "../lifecycle/mod.ts";
import type { ReleaseFigures } from "../github/mod.ts";

/** `GET /api/v1/admin/stats`. */
export function fleetJson(fleet: FleetSummary) {
  return {
    applications: fleet.applications,
    instances: {
      total: fleet.instances.total,
      active: fleet.instances.active,
      pending: fleet.instances.pending,
      revoked: fleet.instances.revoked,
    },
    active_window_days: fleet.activeDays,
    computed_at: isoOrNull(fleet.computedAt),
  };
}

/** `GET /api/v1/admin/applications`. */
export function applicationsJson(
  overview: { applications: readonly ApplicationFigures[]; activeDays: number },
) {
  return {
    applications: overview.applications.map(applicationJson),
    active_window_days: overview.activeDays,
  };
}

/** `GET /api/v1/admin/applications/{slug}`, with its GitHub repository's figures. */
export function applicationDetailJson(detail: ApplicationDetail, releases: ReleaseFigures) {
  return {
    ...applicationJson(detail),
    active_window_days: detail.activeDays,
    active_instances_by: detail.breakdowns,
    github: githubJson(releases),
    latest_release_share: releases.latestReleaseShare,
  };
}

/** An application's repository as last read; null when none is set. */
function githubJson(releases: ReleaseFigures) {
  const github = releases.github;
  if (github === null) return null;
  return {
    repo: github.repo,
    stars: github.stars,
    latest_release: github.latestRelease === null ? null : {
      tag: github.latestRelease.tag,
      published_at: github.latestRelease.publishedAt.toISOString(),
    },
    checked_at: isoOrNull(github.checkedAt),
    error: github.error,
  };
}

/** `GET /api/v1/admin/instances`. */
export function instancePageJson(page: InstancePage) {
  return { instances: page.instances.map(instanceJson), next_cursor: page.nextCursor };
}

/** An instance as the admin API shows it: in the list, alone, and after a revoke or restore. */
export function instanceJson(row: InstanceDetail["instance"]) {
  return {
    instance_id: row.instanceId,
    app_slug: row.appSlug,
    app_version: row.appVersion,
    status: row.status,
    environment: row.environment,
    deployment_mode: row.deploymentMode,
    os_arch: row.osArch,
    first_seen: row.firstSeen.toISOString(),
    last_seen: row.lastSeen.toISOString(),
    last_snapshot_at: isoOrNull(row.lastSnapshotAt),
    metrics: row.metrics,
  };
}

/** `GET /api/v1/admin/audit`: the audit log's lines, newest first. */
export function auditJson(entries: readonly AuditEntry[]) {
  return {
    data: entries.map((entry) => ({
      at: entry.at.toISOString(),
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      detail: entry.detail,
    })),
  };
}

/** `GET /api/v1/admin/metrics/{slug}`. */
export function dailyMetricsJson(metrics: DailyMetrics) {
  return {
    app: metrics.slug,
    days: metrics.days,
    series: metrics.series.map((day) => ({
      day: day.day,
      active_instances: day.activeInstances,
      metrics: day.metrics,
    })),
  };
}

/** `GET` and `PUT /api/v1/admin/applications/{slug}/settings`. */
export function settingsJson(settings: ApplicationSettings) {
  return {
    slug: settings.slug,
    public_badges: settings.publicBadges,
    public_page: settings.publicPage,
    public_metrics: [...settings.publicMetrics],
    excluded_environments: [...settings.excludedEnvironments],
    exported_metrics: [...settings.exportedMetrics],
    display_name: settings.displayName,
    reported_name: settings.reportedName,
    github_repo: settings.githubRepo,
  };
}

function applicationJson(app: ApplicationFigures) {
  return {
    slug: app.slug,
    name: app.name,
    created_at: app.createdAt.toISOString(),
    instances: { total: app.totalInstances, active: app.activeInstances },
    last_seen: isoOrNull(app.lastSeen),
    computed_at: isoOrNull(app.computedAt),
  };
}

function isoOrNull(time: Date | null): string | null {
  return time?.toISOString() ?? null;
}
