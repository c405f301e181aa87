/** A stored rule's parameters read back into their typed form. */

import type { AlertRuleRow } from "../store/mod.ts";
import type { AlertParams } from "./rule_input.ts";

/**
 * The typed parameters of a stored rule (as `readAlertRule` made them);
 * null when the row does not hold its kind's parameters (written by hand),
 * so that such a rule is skipped rather than judged on a guess.
 */
export function paramsOfRule(rule: Pick<AlertRuleRow, "kind" | "params">): AlertParams | null {
  const p = rule.params;
  const num = (name: string) => typeof p[name] === "number" ? p[name] as number : null;
  switch (rule.kind) {
    case "active_drop":
    case "version_share": {
      const percent = num("percent");
      return percent === null ? null : { kind: rule.kind, percent };
    }
    case "silence": {
      const hours = num("hours");
      return hours === null ? null : { kind: "silence", hours };
    }
    case "metric_threshold": {
      const metric = p["metric"];
      const above = num("above");
      const below = num("below");
      if (typeof metric !== "string" || (above === null) === (below === null)) return null;
      return { kind: "metric_threshold", metric, above, below };
    }
    default:
      return null;
  }
}
