/**
 * The fleet's figures as Prometheus gauge families, low in cardinality by
 * construction: a label per application and per value of a few bounded
 * breakdowns, never one per instance. Each breakdown keeps its most common
 * values and folds the rest into `other`; a missing value is `unknown`.
 */

import type { ExportedFigures } from "../store/mod.ts";
import type { GaugeFamily, Sample } from "./exposition.ts";

/** How many values of each breakdown an application keeps as labels; the rest is `other`. */
export const LABEL_VALUES_KEPT = 20;

/** Longest label value written, in characters; a longer one is cut (values that then meet merge). */
export const LABEL_VALUE_MAX_LENGTH = 100;

/** The label value of the long tail folded together. */
export const OTHER_VALUE = "other";

/** The label value of instances that did not report the attribute. */
export const UNKNOWN_VALUE = "unknown";

/** The breakdowns exported: summary field, family name, label name, help. */
const BREAKDOWNS = [
  ["app_version", "shm_active_instances_by_version", "version", "version"],
  ["os_arch", "shm_active_instances_by_platform", "platform", "platform (os/arch)"],
  ["environment", "shm_active_instances_by_environment", "environment", "environment"],
  ["deployment_mode", "shm_active_instances_by_deployment_mode", "mode", "deployment mode"],
] as const;

/**
 * The gauge families of `figures` (one entry per application, as the store
 * lists them): instance counts, active instances per breakdown value, the
 * exported metrics' sums, averages and reporting instances, and when each
 * summary was computed. Every sample carries the `app` label (the slug).
 */
export function fleetFamilies(figures: readonly ExportedFigures[]): GaugeFamily[] {
  const perApp = (value: (app: ExportedFigures) => number | null): Sample[] =>
    figures.flatMap((app) => {
      const v = value(app);
      return v === null ? [] : [{ labels: { app: app.slug }, value: v }];
    });
  const families: GaugeFamily[] = [
    {
      name: "shm_active_instances",
      help: "Instances active in the window (SHM_ACTIVE_DAYS), per application.",
      samples: perApp((app) => app.active),
    },
    {
      name: "shm_known_instances",
      help: "Instances known, in any status, per application.",
      samples: perApp((app) => app.instances),
    },
    {
      name: "shm_pending_instances",
      help: "Instances registered but not activated, per application.",
      samples: perApp((app) => app.pending),
    },
    {
      name: "shm_revoked_instances",
      help: "Instances revoked by an operator, per application.",
      samples: perApp((app) => app.revoked),
    },
  ];
  for (const [field, name, label, what] of BREAKDOWNS) {
    families.push({
      name,
      help: `Active instances per application and ${what}; the long tail is "${OTHER_VALUE}".`,
      samples: figures.flatMap((app) =>
        foldedCounts(app.breakdowns[field] ?? [], app.active).map(([value, count]) => ({
          labels: { app: app.slug, [label]: value },
          value: count,
        }))
      ),
    });
  }
  const metricSamples = (pick: (m: ExportedFigures["metrics"][string]) => number): Sample[] =>
    figures.flatMap((app) =>
      Object.entries(app.metrics).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map((
        [metric, figures],
      ) => ({ labels: { app: app.slug, metric }, value: pick(figures) }))
    );
  families.push(
    {
      name: "shm_metric_summed",
      help: "Sum of an exported metric's latest values over the active instances that send it.",
      samples: metricSamples((m) => m.sum),
    },
    {
      name: "shm_metric_average",
      help: "Average of an exported metric's latest values over the active instances that send it.",
      samples: metricSamples((m) => m.avg),
    },
    {
      name: "shm_metric_reporting_instances",
      help: "Active instances whose latest value of an exported metric is a number.",
      samples: metricSamples((m) => m.instances),
    },
    {
      name: "shm_figures_computed_timestamp_seconds",
      help: "When the figures of an application were computed (Unix time, seconds).",
      samples: perApp((app) =>
        app.computedAt === null ? null : Math.floor(app.computedAt.getTime() / 1000)
      ),
    },
  );
  return families;
}

/**
 * A breakdown's counts as label values: the first {@linkcode LABEL_VALUES_KEPT}
 * distinct values (after null became `unknown` and long values were cut),
 * then `other` holding the rest and the active instances the stored rows
 * leave out; values that meet (a version named "other") add up.
 */
export function foldedCounts(
  rows: readonly { readonly value: string | null; readonly instances: number }[],
  active: number,
): [string, number][] {
  const counts = new Map<string, number>();
  let listed = 0;
  for (const row of rows) {
    const value = labelValue(row.value);
    listed += row.instances;
    const key = counts.has(value) || counts.size < LABEL_VALUES_KEPT ? value : OTHER_VALUE;
    counts.set(key, (counts.get(key) ?? 0) + row.instances);
  }
  const unlisted = active - listed;
  if (unlisted > 0) counts.set(OTHER_VALUE, (counts.get(OTHER_VALUE) ?? 0) + unlisted);
  return [...counts];
}

function labelValue(value: string | null): string {
  if (value === null || value === "") return UNKNOWN_VALUE;
  const chars = [...value.toWellFormed()];
  return chars.length > LABEL_VALUE_MAX_LENGTH
    ? chars.slice(0, LABEL_VALUE_MAX_LENGTH).join("")
    : value;
}
