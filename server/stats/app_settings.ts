/** What an application's settings page shows: its settings and the metrics its badges can use. */

import { activeNumericMetricKeys, findApplication, findApplicationSettings } from "../store/mod.ts";
import { activeSince, type StatsContext } from "./context.ts";

/** An application's settings with the metric keys its active instances send as numbers. */
export interface ApplicationSettingsView {
  readonly slug: string;
  /** The name the dashboard shows: the display name when set, else the reported one. */
  readonly name: string;
  /** The name the instances report. */
  readonly reportedName: string;
  readonly displayName: string | null;
  readonly publicBadges: boolean;
  /** Sorted metric keys a metric badge can aggregate. */
  readonly metricKeys: readonly string[];
}

/** Returns application `slug`'s settings and badge metric keys; null when the slug is unknown. */
export async function applicationSettingsView(
  ctx: StatsContext,
  slug: string,
): Promise<ApplicationSettingsView | null> {
  const [app, settings] = await Promise.all([
    findApplication(ctx.db, slug),
    findApplicationSettings(ctx.db, slug),
  ]);
  if (app === null || settings === null) return null;
  const metricKeys = await activeNumericMetricKeys(ctx.db, {
    appId: app.id,
    activeSince: activeSince(ctx),
  });
  return {
    slug: settings.slug,
    name: settings.displayName ?? settings.reportedName,
    reportedName: settings.reportedName,
    displayName: settings.displayName,
    publicBadges: settings.publicBadges,
    metricKeys,
  };
}
