/**
 * The rule of an application's excluded environments: the environments whose
 * instances are left out of public numbers (badges, the public page, the
 * overview's active figure), compared trimmed and lower-case.
 */

import { isDisplayText } from "../../shared/text_rules.ts";

/** A new application's list (migration 0009 holds the same as the column's default). */
export const DEFAULT_EXCLUDED_ENVIRONMENTS: readonly string[] = [
  "ci",
  "test",
  "dev",
  "development",
];

/** Most environments one application can exclude. */
export const MAX_EXCLUDED_ENVIRONMENTS = 32;

/** Longest excluded environment, in characters. */
export const MAX_EXCLUDED_ENVIRONMENT_LENGTH = 64;

/** A list read from an operator: the list to store, or a sentence saying what was wrong. */
export type ExcludedEnvironmentsReading =
  | { readonly ok: true; readonly environments: string[] }
  | { readonly ok: false; readonly message: string };

/**
 * Reads a list of excluded environments as an operator gave it: an array of
 * strings, each trimmed and lower-cased, 1 to 64 printable characters without
 * a comma (the settings form separates them with commas), kept once in the
 * order given, at most 32 of them. Anything else is refused with a sentence
 * naming the first problem and the value.
 */
export function readExcludedEnvironments(value: unknown): ExcludedEnvironmentsReading {
  if (!Array.isArray(value)) {
    return refused(`it must be an array of strings: current value is ${shown(value)}`);
  }
  const environments: string[] = [];
  for (const entry of value) {
    if (typeof entry !== "string") {
      return refused(`each entry must be a string: current entry is ${shown(entry)}`);
    }
    const environment = entry.trim().toLowerCase();
    const length = [...environment].length;
    if (length === 0 || length > MAX_EXCLUDED_ENVIRONMENT_LENGTH) {
      return refused(
        `each entry must be 1 to ${MAX_EXCLUDED_ENVIRONMENT_LENGTH} characters once trimmed: ` +
          `current entry is ${shown(entry)}`,
      );
    }
    if (!isDisplayText(environment) || environment.includes(",")) {
      return refused(
        "each entry must be printable characters without a comma, control or bidirectional " +
          `character: current entry is ${shown(entry)}`,
      );
    }
    if (!environments.includes(environment)) environments.push(environment);
  }
  if (environments.length > MAX_EXCLUDED_ENVIRONMENTS) {
    return refused(
      `it lists more than ${MAX_EXCLUDED_ENVIRONMENTS} environments: current count is ${environments.length}`,
    );
  }
  return { ok: true, environments };
}

/**
 * Reads the settings form's comma-separated field: entries split at commas,
 * empty ones (",," or a trailing comma) ignored, then read as
 * {@linkcode readExcludedEnvironments} reads an array.
 */
export function readExcludedEnvironmentsField(text: string): ExcludedEnvironmentsReading {
  const entries = text.split(",").filter((entry) => entry.trim() !== "");
  return readExcludedEnvironments(entries);
}

function refused(reason: string): ExcludedEnvironmentsReading {
  return { ok: false, message: `Cannot use "excluded_environments" as ${reason}` };
}

function shown(value: unknown): string {
  return (JSON.stringify(value ?? null) ?? String(value)).slice(0, 80);
}
