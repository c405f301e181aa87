/**
 * Whether a rule's condition holds, from an application's figures: pure
 * functions, so the evaluation windows are tested with any clock. A rule
 * fires once when its condition starts holding and clears when it stops;
 * a version_share rule announces each new version once.
 */

import type { AlertParams } from "./rule_input.ts";

/** What a rule's condition is judged on: the application's figures as of `now`. */
export interface ConditionFigures {
  readonly now: Date;
  /** Active instances now (the upkeep's latest summary). */
  readonly active: number;
  /** Average active instances of the 7 days before today; null without rollups. */
  readonly averageActive: number | null;
  /** The newest snapshot of any instance; null: none yet. */
  readonly lastSnapshotAt: Date | null;
  /** Active instances per version, largest first. */
  readonly versions: readonly { readonly value: string | null; readonly instances: number }[];
  /** Each numeric metric's sum over the active instances. */
  readonly metricSums: Readonly<Record<string, number>>;
}

/** What evaluating a rule found. */
export interface ConditionResult {
  /** Whether the condition holds now (the rule is firing). */
  readonly holds: boolean;
  /** A sentence saying what is observed, for the messages. */
  readonly text: string;
  /** The figures behind it, for the webhook payload. */
  readonly observed: Readonly<Record<string, number | string | null | readonly string[]>>;
  /** For version_share: the versions to announce now (empty: nothing new). */
  readonly announce: readonly string[];
  /** What the rule remembers for the next round. */
  readonly state: Readonly<Record<string, unknown>>;
}

/**
 * Judges `params` on `figures`, with the rule's remembered `state`:
 *
 * - active_drop: active ≤ (1 − percent/100) × the 7-day average (an average of at least 1);
 * - silence: no snapshot for `hours` hours (never true before the first snapshot);
 * - version_share: a version that was not at or above `percent` % of the active instances
 *   when the rule was made reached it (each announced once);
 * - metric_threshold: the metric's sum is above `above` or below `below` (holds only while
 *   some active instance sends it).
 */
export function judgeCondition(
  params: AlertParams,
  figures: ConditionFigures,
  state: Readonly<Record<string, unknown>>,
): ConditionResult {
  const none = { announce: [], state };
  switch (params.kind) {
    case "active_drop": {
      const average = figures.averageActive;
      const floor = average === null ? null : average * (1 - params.percent / 100);
      const holds = average !== null && average >= 1 && floor !== null && figures.active <= floor;
      const drop = average === null || average === 0
        ? null
        : Math.round((1 - figures.active / average) * 1000) / 10;
      return {
        ...none,
        holds,
        text: average === null
          ? `${figures.active} active instances; no 7-day average yet`
          : `${figures.active} active instances against a 7-day average of ${
            round(average)
          } (${drop}% lower; the rule fires at ${params.percent}%)`,
        observed: { active: figures.active, average_active: average, drop_percent: drop },
      };
    }
    case "silence": {
      const last = figures.lastSnapshotAt;
      const silentHours = last === null
        ? null
        : (figures.now.getTime() - last.getTime()) / 3_600_000;
      return {
        ...none,
        holds: silentHours !== null && silentHours >= params.hours,
        text: last === null
          ? "no snapshot yet"
          : `the last snapshot from any instance was ${
            round(silentHours ?? 0)
          } hours ago (${last.toISOString()}; the rule fires after ${params.hours} hours)`,
        observed: {
          last_snapshot_at: last?.toISOString() ?? null,
          silent_hours: silentHours === null ? null : round(silentHours),
        },
      };
    }
    case "version_share": {
      const baseline = stringList(state["baseline"]);
      const announced = stringList(state["announced"]);
      const above = versionsAtShare(figures, params.percent);
      const fresh = above.filter((v) => !baseline.includes(v));
      const announce = fresh.filter((v) => !announced.includes(v));
      const shares = Object.fromEntries(
        figures.versions.filter((row) => row.value !== null && fresh.includes(row.value)).map((
          row,
        ) => [row.value, round((row.instances / Math.max(1, figures.active)) * 100)]),
      );
      return {
        holds: fresh.length > 0,
        announce,
        state: { baseline, announced: [...announced, ...announce] },
        text: announce.length === 0
          ? `no new version at ${params.percent}% of the active instances`
          : `${
            announce.map((v) => `version ${v} reached ${shares[v]}%`).join(", ")
          } of the ${figures.active} active instances (the rule fires at ${params.percent}%)`,
        observed: { active: figures.active, versions: announce },
      };
    }
    case "metric_threshold": {
      const sum = figures.metricSums[params.metric];
      const holds = sum !== undefined &&
        (params.above !== null ? sum > params.above : params.below !== null && sum < params.below);
      const bound = params.above !== null ? `above ${params.above}` : `below ${params.below}`;
      return {
        ...none,
        holds,
        text: sum === undefined
          ? `no active instance sends ${params.metric} as a number`
          : `the sum of ${params.metric} is ${sum} (the rule fires ${bound})`,
        observed: { metric: params.metric, sum: sum ?? null },
      };
    }
  }
}

/**
 * The state a rule starts with: a version_share rule remembers the versions
 * already at its share when made, which are not new.
 */
export function initialState(
  params: AlertParams,
  figures: Pick<ConditionFigures, "active" | "versions">,
): Record<string, unknown> {
  if (params.kind !== "version_share") return {};
  return { baseline: versionsAtShare(figures, params.percent), announced: [] };
}

function versionsAtShare(
  figures: Pick<ConditionFigures, "active" | "versions">,
  percent: number,
): string[] {
  if (figures.active === 0) return [];
  return figures.versions.flatMap((row) =>
    row.value !== null && (row.instances / figures.active) * 100 >= percent ? [row.value] : []
  );
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
