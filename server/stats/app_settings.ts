/**
 * An application's settings: what its settings page shows (with the metrics
 * its badges can use), and the change an operator makes, from the page or
 * the admin API. The one write `stats` makes: settings decide what the
 * figures show (a display name, public badges, the public page and its
 * metrics), and they live with them.
 */

import {
  type Application,
  type ApplicationSettingsChange as StoredSettingsChange,
  type Database,
  findApplication,
  findGithubRepo,
  findSummaryFigures,
  setGithubRepo,
  updateApplicationSettings,
  withAuditEntry,
} from "../store/mod.ts";
import type { StatsContext } from "./context.ts";
import { UNKNOWN_APP, type UnknownApp } from "./results.ts";

/** An application's settings as an operator sees them. */
export interface ApplicationSettings {
  readonly kind: "found";
  readonly slug: string;
  /** The name the instances report. */
  readonly reportedName: string;
  /** The name the dashboard shows instead; null shows `reportedName`. */
  readonly displayName: string | null;
  readonly publicBadges: boolean;
  /** Whether the public stats page `/p/{slug}` answers. */
  readonly publicPage: boolean;
  /** The metric keys the public page shows as aggregates. */
  readonly publicMetrics: readonly string[];
  /** Environments (trimmed, lower-case) left out of badges, the public page and the overview. */
  readonly excludedEnvironments: readonly string[];
  /** The GitHub repository (`owner/name`) whose stars and releases are read; null: none. */
  readonly githubRepo: string | null;
  /** The numeric metric keys `GET /metrics` exports (sum and average). */
  readonly exportedMetrics: readonly string[];
}

/** An application's settings with the metric keys its active instances send as numbers (as of its last summary). */
export interface ApplicationSettingsView extends ApplicationSettings {
  /** The name the dashboard shows: the display name when set, else the reported one. */
  readonly name: string;
  /** Sorted metric keys a metric badge can aggregate. */
  readonly metricKeys: readonly string[];
}

/** A change of settings: an absent field is left as it is; `githubRepo` null removes it. */
export interface ApplicationSettingsChange extends StoredSettingsChange {
  /** `owner/name`, already checked (`server/github/`). */
  readonly githubRepo?: string | null;
}

/** Application `slug`'s settings; `unknown_app` when no application has that slug. */
export async function applicationSettings(
  ctx: StatsContext,
  slug: string,
): Promise<ApplicationSettings | UnknownApp> {
  const app = await findApplication(ctx.db, slug);
  return app === null ? UNKNOWN_APP : settingsOf(app, await githubRepoOf(ctx.db, app));
}

/**
 * Changes application `slug`'s settings (an absent field stays as it is) and
 * returns them as saved, recording the change in the audit log as done by
 * `actor` (the fields sent, snake_case as the admin API names them) in the
 * same transaction; `unknown_app` (and nothing written) when no application
 * has that slug.
 */
export async function changeApplicationSettings(
  ctx: StatsContext,
  options: { slug: string; change: ApplicationSettingsChange; actor: string },
): Promise<ApplicationSettings | UnknownApp> {
  const now = ctx.now();
  const saved = await withAuditEntry(
    ctx.db,
    (tx) => saveSettings(tx, { slug: options.slug, change: options.change, now }),
    (saved) =>
      saved === null ? null : {
        at: now,
        actor: options.actor,
        action: "app_settings.change",
        target: options.slug,
        detail: Object.fromEntries(
          Object.entries(options.change).map(([key, value]) => [
            key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`),
            value,
          ]),
        ),
      },
  );
  return saved === null ? UNKNOWN_APP : settingsOf(saved.app, saved.githubRepo);
}

/** Saves `change` to application `slug` within the transaction `tx`; null when the slug is unknown. */
async function saveSettings(
  tx: Database,
  options: { slug: string; change: ApplicationSettingsChange; now: Date },
): Promise<{ app: Application; githubRepo: string | null } | null> {
  const { githubRepo, ...change } = options.change;
  const app = await updateApplicationSettings(tx, { slug: options.slug, change, now: options.now });
  if (app === null) return null;
  if (githubRepo !== undefined) {
    await setGithubRepo(tx, { appId: app.id, repo: githubRepo, now: options.now });
  }
  return { app, githubRepo: await githubRepoOf(tx, app) };
}

async function githubRepoOf(db: Database, app: Application): Promise<string | null> {
  return (await findGithubRepo(db, app.id))?.repo ?? null;
}

/** Application `slug`'s settings and badge metric keys; `unknown_app` when no application has that slug. */
export async function applicationSettingsView(
  ctx: StatsContext,
  slug: string,
): Promise<ApplicationSettingsView | UnknownApp> {
  const app = await findApplication(ctx.db, slug);
  if (app === null) return UNKNOWN_APP;
  const summary = await findSummaryFigures(ctx.db, app.id, { scope: "counted" });
  return {
    ...settingsOf(app, await githubRepoOf(ctx.db, app)),
    name: app.displayName ?? app.reportedName,
    metricKeys: Object.keys(summary.metrics).sort(),
  };
}

function settingsOf(
  app: Omit<ApplicationSettings, "kind" | "githubRepo">,
  githubRepo: string | null,
): ApplicationSettings {
  return {
    githubRepo,
    kind: "found",
    slug: app.slug,
    reportedName: app.reportedName,
    displayName: app.displayName,
    publicBadges: app.publicBadges,
    publicPage: app.publicPage,
    publicMetrics: [...app.publicMetrics],
    excludedEnvironments: [...app.excludedEnvironments],
    exportedMetrics: [...app.exportedMetrics],
  };
}
