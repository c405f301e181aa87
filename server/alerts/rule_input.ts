/**
 * An alert rule as an operator sends it: `{"kind", ...its parameters,
 * "webhook_url"?, "email"?}`, read into a typed value or refused with a 400
 * naming what was wrong. Parameters left out take the presets.
 */

import { isMetricKey } from "../../shared/text_rules.ts";
import { ClientError } from "../errors.ts";
import type { AlertKind } from "../store/mod.ts";
import { readWebhookUrl } from "./webhook_target.ts";

/** Every kind of rule. */
export const ALERT_KINDS: readonly AlertKind[] = [
  "active_drop",
  "silence",
  "version_share",
  "metric_threshold",
];

/** A rule's parameters, by kind, as stored and as the API shows them. */
export type AlertParams =
  | { readonly kind: "active_drop"; readonly percent: number }
  | { readonly kind: "silence"; readonly hours: number }
  | { readonly kind: "version_share"; readonly percent: number }
  | {
    readonly kind: "metric_threshold";
    readonly metric: string;
    readonly above: number | null;
    readonly below: number | null;
  };

/** A rule read from a request, not yet stored. */
export interface AlertRuleInput {
  readonly params: AlertParams;
  readonly webhookUrl: string | null;
  readonly email: string | null;
}

/** The presets: what a parameter left out is. */
export const ALERT_PRESETS = {
  active_drop: { percent: 50 },
  silence: { hours: 24 },
  version_share: { percent: 50 },
} as const;

const KIND_FIELDS: Readonly<Record<AlertKind, readonly string[]>> = {
  active_drop: ["percent"],
  silence: ["hours"],
  version_share: ["percent"],
  metric_threshold: ["metric", "above", "below"],
};

/** The range of `percent` (active_drop, version_share). */
export const PERCENT_RANGE = { min: 1, max: 100 } as const;

/** The range of `hours` (silence): up to a year. */
export const HOURS_RANGE = { min: 1, max: 8760 } as const;

/** Longest email address taken (RFC 5321's path limit). */
const MAX_EMAIL_LENGTH = 254;

/**
 * Reads a rule from a parsed JSON body; throws a 400 `invalid_alert` naming
 * the first problem: not an object, an unknown kind or field, a parameter
 * out of its range (`percent` 1–100, `hours` 1–8760, `metric` a metric
 * name, exactly one of `above`/`below` a finite number), a bad
 * `webhook_url` (see `readWebhookUrl`) or `email`, or neither of the two.
 */
export function readAlertRule(
  body: unknown,
  options: { allowPrivateWebhooks: boolean },
): AlertRuleInput {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalid("Cannot make an alert as the body is not a JSON object");
  }
  const fields = body as Record<string, unknown>;
  const kind = fields["kind"];
  if (typeof kind !== "string" || !(ALERT_KINDS as readonly string[]).includes(kind)) {
    throw invalid(
      `Cannot make an alert as "kind" must be one of ${ALERT_KINDS.join(", ")}: current value is ${
        shown(kind)
      }`,
    );
  }
  const known = ["kind", "webhook_url", "email", ...KIND_FIELDS[kind as AlertKind]];
  const unknown = Object.keys(fields).find((key) => !known.includes(key));
  if (unknown !== undefined) {
    throw invalid(
      `Cannot make a ${kind} alert with "${unknown.slice(0, 60)}": use ${known.join(", ")}`,
    );
  }
  const webhookUrl = fields["webhook_url"] === undefined || fields["webhook_url"] === null
    ? null
    : readWebhookUrl(fields["webhook_url"], options);
  const email = fields["email"] === undefined || fields["email"] === null
    ? null
    : readEmail(fields["email"]);
  if (webhookUrl === null && email === null) {
    throw invalid("Cannot make an alert that goes nowhere: give a webhook_url, an email or both");
  }
  return { params: readParams(kind as AlertKind, fields), webhookUrl, email };
}

function readParams(kind: AlertKind, fields: Record<string, unknown>): AlertParams {
  switch (kind) {
    case "active_drop":
    case "version_share":
      return {
        kind,
        percent: readNumber(fields, "percent", PERCENT_RANGE) ??
          ALERT_PRESETS[kind].percent,
      };
    case "silence":
      return {
        kind,
        hours: readNumber(fields, "hours", HOURS_RANGE) ?? ALERT_PRESETS.silence.hours,
      };
    case "metric_threshold": {
      const metric = fields["metric"];
      if (typeof metric !== "string" || !isMetricKey(metric)) {
        throw invalid(
          `Cannot make a metric_threshold alert as "metric" must be a metric name: current value is ${
            shown(metric)
          }`,
        );
      }
      const bound = { min: -Number.MAX_VALUE, max: Number.MAX_VALUE };
      const above = readNumber(fields, "above", bound);
      const below = readNumber(fields, "below", bound);
      if ((above === null) === (below === null)) {
        throw invalid(
          'Cannot make a metric_threshold alert without exactly one of "above" and "below"',
        );
      }
      return { kind, metric, above, below };
    }
  }
}

/** A number field within `[min, max]`; null when absent; a 400 otherwise. */
function readNumber(
  fields: Record<string, unknown>,
  name: string,
  range: { min: number; max: number },
): number | null {
  const value = fields[name];
  if (value === undefined || value === null) return null;
  if (
    typeof value !== "number" || !Number.isFinite(value) || value < range.min || value > range.max
  ) {
    throw invalid(
      `Cannot use "${name}" as it must be a number from ${range.min} to ${range.max}: current value is ${
        shown(value)
      }`,
    );
  }
  return value;
}

/** An email address: one `@`, no spaces or control characters, at most 254 characters. */
function readEmail(value: unknown): string {
  if (
    typeof value !== "string" || value.length > MAX_EMAIL_LENGTH ||
    // Printable ASCII only: no control character can reach a mail header.
    !/^[!#-'*+\-./0-9=?A-Z^_`a-z{|}~]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(value)
  ) {
    throw invalid(
      `Cannot use "email" as it is not an email address: current value is ${shown(value)}`,
    );
  }
  return value;
}

function shown(value: unknown): string {
  return (JSON.stringify(value ?? null) ?? "null").slice(0, 80);
}

function invalid(message: string): ClientError {
  return new ClientError(400, "invalid_alert", message);
}
