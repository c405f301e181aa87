/** A stored rule's parameters read back into their typed form, or why they cannot be. */

import { isMetricKey } from "../../shared/text_rules.ts";
import type { AlertRuleRow } from "../store/mod.ts";
import { type AlertParams, HOURS_RANGE, PERCENT_RANGE } from "./rule_input.ts";

/** A stored rule's parameters: typed, or the sentence saying why they cannot be used. */
export type StoredParams =
  | { readonly ok: true; readonly params: AlertParams }
  | { readonly ok: false; readonly problem: string };

/**
 * The typed parameters of a stored rule, held to the ranges `readAlertRule`
 * checks; `ok: false` with the first problem when the row does not hold its
 * kind's parameters (written by hand, or stored params that were not JSON and
 * read back as `{}`), so that such a rule is skipped rather than judged on a
 * guess. Never throws.
 */
export function storedParamsOfRule(
  rule: Pick<AlertRuleRow, "kind" | "params">,
): StoredParams {
  const p = rule.params;
  const problem = (text: string) => ({ ok: false, problem: text }) as const;
  const inRange = (name: string, range: { min: number; max: number }): number | string => {
    const value = p[name];
    return typeof value === "number" && Number.isFinite(value) && value >= range.min &&
        value <= range.max
      ? value
      : `"${name}" must be a number from ${range.min} to ${range.max}: current value is ${
        shown(value)
      }`;
  };
  switch (rule.kind) {
    case "active_drop":
    case "version_share": {
      const percent = inRange("percent", PERCENT_RANGE);
      return typeof percent === "string"
        ? problem(percent)
        : { ok: true, params: { kind: rule.kind, percent } };
    }
    case "silence": {
      const hours = inRange("hours", HOURS_RANGE);
      return typeof hours === "string"
        ? problem(hours)
        : { ok: true, params: { kind: "silence", hours } };
    }
    case "metric_threshold": {
      const metric = p["metric"];
      if (typeof metric !== "string" || !isMetricKey(metric)) {
        return problem(`"metric" must be a metric name: current value is ${shown(metric)}`);
      }
      const finite = (name: string) => {
        const value = p[name];
        return typeof value === "number" && Number.isFinite(value) ? value : null;
      };
      const above = finite("above");
      const below = finite("below");
      if ((above === null) === (below === null)) {
        return problem(
          `exactly one of "above" and "below" must be a number: current values are ${
            shown(p["above"])
          } and ${shown(p["below"])}`,
        );
      }
      return { ok: true, params: { kind: "metric_threshold", metric, above, below } };
    }
    default:
      return problem(`the kind ${shown(rule.kind)} is not one this server knows`);
  }
}

/** The typed parameters of a stored rule; null when {@linkcode storedParamsOfRule} finds a problem. */
export function paramsOfRule(rule: Pick<AlertRuleRow, "kind" | "params">): AlertParams | null {
  const stored = storedParamsOfRule(rule);
  return stored.ok ? stored.params : null;
}

function shown(value: unknown): string {
  return value === undefined ? "missing" : (JSON.stringify(value) ?? "missing").slice(0, 80);
}
