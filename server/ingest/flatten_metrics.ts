/** The metrics rules of the protocol: flattening, limits, and which values are kept. */

import { ClientError } from "../errors.ts";
import { describeJsonType } from "./json_body.ts";
import { isMetricKey } from "../../shared/text_rules.ts";
import { characterCount, isStorableText } from "./field_rules.ts";

/** Deepest nesting accepted: `a.b.c.d` is fine, `a.b.c.d.e` is not. */
export const MAX_METRIC_DEPTH = 4;
/** Most keys a snapshot may carry after flattening. */
export const MAX_METRIC_KEYS = 256;
/** Longest string value kept, in characters. */
export const MAX_METRIC_STRING = 256;

/** A kept metric value. */
export type MetricValue = string | number | boolean;

/** Flattened metrics and the keys that were dropped, each as `"key: reason"`. */
export interface FlatMetrics {
  readonly metrics: Readonly<Record<string, MetricValue>>;
  readonly dropped: readonly string[];
}

/**
 * Flattens a snapshot's `metrics` object: nested objects become keys joined
 * with `.`; null values are ignored; numbers, booleans and short strings are
 * kept; any other single value (an array, a long string, a bad key, a key
 * that appears twice once flattened) is dropped and listed. Throws a 400 {@linkcode ClientError} for a structure
 * that cannot be taken at all: not an object, nested deeper than
 * {@linkcode MAX_METRIC_DEPTH}, or more than {@linkcode MAX_METRIC_KEYS} keys.
 */
export function flattenMetrics(value: unknown): FlatMetrics {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ClientError(
      400,
      "invalid_metrics",
      `Cannot accept "metrics" as it must be a JSON object and it is ${describeJsonType(value)}`,
    );
  }
  const leaves: [string, unknown][] = [];
  collectLeaves(value as Record<string, unknown>, "", 1, leaves);
  if (leaves.length > MAX_METRIC_KEYS) {
    throw new ClientError(
      400,
      "too_many_metrics",
      `Cannot accept "metrics" as it has ${leaves.length} keys after flattening: ` +
        `the limit is ${MAX_METRIC_KEYS}`,
    );
  }
  const occurrences = new Map<string, number>();
  for (const [key] of leaves) occurrences.set(key, (occurrences.get(key) ?? 0) + 1);
  const kept = new Map<string, MetricValue>();
  const dropped: string[] = [];
  for (const [key, leaf] of leaves) {
    const problem = keyProblem(key, occurrences) ?? valueProblem(leaf);
    if (problem !== null) dropped.push(`${printableKey(key)}: ${problem}`);
    else kept.set(key, leaf as MetricValue);
  }
  return { metrics: Object.fromEntries(kept), dropped };
}

function collectLeaves(
  object: Record<string, unknown>,
  prefix: string,
  depth: number,
  leaves: [string, unknown][],
): void {
  for (const [name, value] of Object.entries(object)) {
    if (value === null) continue;
    const key = prefix === "" ? name : `${prefix}.${name}`;
    if (typeof value === "object" && !Array.isArray(value)) {
      if (depth >= MAX_METRIC_DEPTH && Object.keys(value).length > 0) {
        throw new ClientError(
          400,
          "metrics_too_deep",
          `Cannot accept "metrics" as "${printableKey(key)}" nests deeper than ` +
            `${MAX_METRIC_DEPTH} levels`,
        );
      }
      collectLeaves(value as Record<string, unknown>, key, depth + 1, leaves);
      if (leaves.length > MAX_METRIC_KEYS) return;
    } else {
      leaves.push([key, value]);
    }
  }
}

function keyProblem(key: string, occurrences: Map<string, number>): string | null {
  if (!isMetricKey(key)) return "key must be 1-64 characters of A-Z a-z 0-9 _ . : -";
  // Which of two values for one key was meant cannot be known: neither is kept.
  if ((occurrences.get(key) ?? 0) > 1) return "key appears more than once after flattening";
  return null;
}

function valueProblem(value: unknown): string | null {
  switch (typeof value) {
    case "number":
      return Number.isFinite(value) ? null : "number is not finite";
    case "boolean":
      return null;
    case "string":
      if (!isStorableText(value)) return "string holds a NUL character or broken Unicode";
      return characterCount(value) > MAX_METRIC_STRING
        ? `string is longer than ${MAX_METRIC_STRING} characters`
        : null;
    default:
      return Array.isArray(value) ? "arrays are not accepted" : `${typeof value} is not accepted`;
  }
}

/** A key as it may be echoed back: short, and without characters that would break a log line. */
function printableKey(key: string): string {
  const clean = key.replace(/[^\x20-\x7e]/g, "?");
  return clean.length > 80 ? `${clean.slice(0, 77)}...` : clean;
}
