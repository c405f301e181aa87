/** What an application's settings page shows: its settings and the metrics its badges can use. */

import { findApplication, findSummaryFigures } from "../store/mod.ts";
import type { StatsContext } from "./context.ts";

/** An application's settings with the metric keys its active instances send as numbers (as of its last summary). */
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
  const settings = await findApplication(ctx.db, slug);
  if (settings === null) return null;
  const summary = await findSummaryFigures(ctx.db, settings.id);
  const metricKeys = Object.keys(summary.metrics).sort();
  return {
    slug: settings.slug,
    name: settings.displayName ?? settings.reportedName,
    reportedName: settings.reportedName,
    displayName: settings.displayName,
    publicBadges: settings.publicBadges,
    metricKeys,
  };
}
