/** Per-application settings under `/api/v1/admin/applications/{slug}/settings` (admin only). */

import { ClientError } from "../errors.ts";
import {
  applicationSettings,
  type ApplicationSettingsChange,
  changeApplicationSettings,
  readExcludedEnvironments,
  type StatsContext,
} from "../stats/mod.ts";
import { isDisplayText, isMetricKey } from "../../shared/text_rules.ts";
import { parseGithubRepo } from "../github/mod.ts";
import { settingsJson } from "./admin_json.ts";
import { unknownApp } from "./admin_routes.ts";
import { readBody } from "./read_body.ts";
import { jsonResponse } from "./respond.ts";
import type { Handler } from "./route_declaration.ts";

/** Largest settings body accepted. */
const MAX_SETTINGS_BYTES = 4096;
const SETTING_NAMES = [
  "public_badges",
  "display_name",
  "public_page",
  "public_metrics",
  "excluded_environments",
  "github_repo",
  "exported_metrics",
] as const;

/** Most metrics a public page shows. */
export const MAX_PUBLIC_METRICS = 50;

/** Longest display name, in characters. */
export const MAX_DISPLAY_NAME_LENGTH = 100;

/**
 * The handlers of `GET` and `PUT /api/v1/admin/applications/{slug}/settings`
 * (access `token`). `PUT` takes a JSON object with any of `public_badges`
 * (boolean), `display_name` (string or null), `public_page` (boolean) and
 * `public_metrics` (array of at most 50 metric keys, replacing the list) and
 * `excluded_environments` (at most 32 environments, each 1 to 64 printable
 * characters without a comma, stored trimmed, lower-cased and once) and
 * `github_repo` (`"owner/name"` or null, read within a minute, then hourly) and
 * `exported_metrics` (at most 50 metric keys `GET /metrics` exports, replacing
 * the list); any
 * other key or type is a 400 and nothing is written, an unknown slug a 404.
 */
export function appSettingsApiHandlers(stats: StatsContext): {
  read: Handler<"token">;
  change: Handler<"token">;
} {
  return {
    read: async ({ params }) => {
      const slug = params["slug"] ?? "";
      const settings = await applicationSettings(stats, slug);
      if (settings.kind === "unknown_app") throw unknownApp(slug);
      return jsonResponse(settingsJson(settings));
    },
    change: async ({ request, params, actor }) => {
      const slug = params["slug"] ?? "";
      const change = parseSettings(await readBody(request, MAX_SETTINGS_BYTES));
      const saved = await changeApplicationSettings(stats, { slug, change, actor });
      if (saved.kind === "unknown_app") throw unknownApp(slug);
      return jsonResponse(settingsJson(saved));
    },
  };
}

/** A display name as read from an operator: the name (null clears it), or why it cannot be one. */
export type DisplayNameReading =
  | { readonly ok: true; readonly name: string | null }
  | { readonly ok: false; readonly problem: "not_text" | "too_long" | "control_character" };

/**
 * Reads a display name as an operator typed it: trimmed, 1 to 100
 * characters following the display-text rule (`isDisplayText`: no control
 * or bidirectional characters); null or "" (after trimming) clears it
 * (null). Anything else says which rule it broke.
 */
export function parseDisplayName(value: unknown): DisplayNameReading {
  if (value === null) return { ok: true, name: null };
  if (typeof value !== "string") return { ok: false, problem: "not_text" };
  const name = value.trim();
  if (name === "") return { ok: true, name: null };
  if ([...name].length > MAX_DISPLAY_NAME_LENGTH) return { ok: false, problem: "too_long" };
  if (!isDisplayText(name)) return { ok: false, problem: "control_character" };
  return { ok: true, name };
}

/** {@linkcode parseDisplayName} for the API: throws a 400 `invalid_setting` naming the problem. */
function readDisplayName(value: unknown): string | null {
  const reading = parseDisplayName(value);
  if (reading.ok) return reading.name;
  if (reading.problem === "not_text") {
    throw new ClientError(
      400,
      "invalid_setting",
      `Cannot use "display_name" as it must be a string or null: current value is ${
        JSON.stringify(value).slice(0, 80)
      }`,
    );
  }
  const name = String(value).trim();
  if (reading.problem === "too_long") {
    throw new ClientError(
      400,
      "invalid_setting",
      `Cannot use "display_name" as it is longer than ${MAX_DISPLAY_NAME_LENGTH} characters: current length is ${
        [...name].length
      }`,
    );
  }
  throw new ClientError(
    400,
    "invalid_setting",
    `Cannot use "display_name" as it holds a control character or a bidirectional control: current value is ${
      JSON.stringify(name).slice(0, 120)
    }`,
  );
}

/**
 * Reads a list of public metrics as an operator gave it: at most 50 metric
 * keys (`isMetricKey`), duplicates kept once, in the order given. Throws a
 * 400 `invalid_setting` naming the first problem.
 */
export function readPublicMetrics(value: unknown): string[] {
  return readMetricNames(value, "public_metrics");
}

/**
 * Reads the metrics `GET /metrics` exports as an operator gave them: at most
 * 50 metric keys (`isMetricKey`), duplicates kept once, in the order given.
 * Throws a 400 `invalid_setting` naming the first problem.
 */
export function readExportedMetrics(value: unknown): string[] {
  return readMetricNames(value, "exported_metrics");
}

/** A list of at most 50 metric names for setting `setting`, or a 400 naming the problem. */
function readMetricNames(value: unknown, setting: string): string[] {
  if (!Array.isArray(value)) {
    throw new ClientError(
      400,
      "invalid_setting",
      `Cannot use "${setting}" as it must be an array of metric names: current value is ${
        JSON.stringify(value ?? null).slice(0, 80)
      }`,
    );
  }
  const names = [...new Set(value)];
  if (names.length > MAX_PUBLIC_METRICS) {
    throw new ClientError(
      400,
      "invalid_setting",
      `Cannot use "${setting}" as it names more than ${MAX_PUBLIC_METRICS} metrics: current count is ${names.length}`,
    );
  }
  const bad = names.find((name) => typeof name !== "string" || !isMetricKey(name));
  if (bad !== undefined) {
    throw new ClientError(
      400,
      "invalid_setting",
      `Cannot use "${setting}" as each must be a metric name (1 to 64 of A-Z a-z 0-9 _ . : -): current value is ${
        JSON.stringify(bad ?? null).slice(0, 80)
      }`,
    );
  }
  return names as string[];
}

/** `github_repo`: `"owner/name"` by GitHub's rules, or null; a 400 naming the rule broken otherwise. */
function readGithubRepo(value: unknown): string | null {
  const reading = parseGithubRepo(value);
  if (reading.ok) return reading.repo;
  throw new ClientError(
    400,
    "invalid_setting",
    `Cannot use "github_repo" as ${reading.problem}: current value is ${
      JSON.stringify(value ?? null).slice(0, 160)
    }`,
  );
}

/** A setting that must be true or false; throws a 400 naming it otherwise. */
function readBoolean(fields: Record<string, unknown>, name: string): boolean {
  const value = fields[name];
  if (typeof value !== "boolean") {
    throw new ClientError(
      400,
      "invalid_setting",
      `Cannot use "${name}" as it must be true or false: current value is ${
        JSON.stringify(value ?? null).slice(0, 80)
      }`,
    );
  }
  return value;
}

/**
 * Reads the body's settings; throws a 400 for anything but a JSON object
 * with some of `public_badges` (boolean), `display_name` (string or null),
 * `public_page` (boolean) and `public_metrics` (metric names).
 */
function parseSettings(bytes: Uint8Array): ApplicationSettingsChange {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new ClientError(400, "malformed_json", "Cannot parse the body as UTF-8 JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ClientError(400, "invalid_body", "Cannot accept the body as it is not a JSON object");
  }
  const keys = Object.keys(body);
  const unknownKey = keys.find((key) => !(SETTING_NAMES as readonly string[]).includes(key));
  if (unknownKey !== undefined || keys.length === 0) {
    throw new ClientError(
      400,
      "invalid_setting",
      unknownKey === undefined
        ? `Cannot change settings as the body names none: use ${SETTING_NAMES.join(", ")}`
        : `Cannot change "${unknownKey.slice(0, 80)}" as it is not a setting: use ${
          SETTING_NAMES.join(", ")
        }`,
    );
  }
  const fields = body as Record<string, unknown>;
  let change: ApplicationSettingsChange = {};
  if ("public_badges" in fields) {
    change = { ...change, publicBadges: readBoolean(fields, "public_badges") };
  }
  if ("public_page" in fields) {
    change = { ...change, publicPage: readBoolean(fields, "public_page") };
  }
  if ("public_metrics" in fields) {
    change = { ...change, publicMetrics: readPublicMetrics(fields["public_metrics"]) };
  }
  if ("exported_metrics" in fields) {
    change = { ...change, exportedMetrics: readExportedMetrics(fields["exported_metrics"]) };
  }
  if ("display_name" in fields) {
    change = { ...change, displayName: readDisplayName(fields["display_name"]) };
  }
  if ("github_repo" in fields) {
    change = { ...change, githubRepo: readGithubRepo(fields["github_repo"]) };
  }
  if ("excluded_environments" in fields) {
    const reading = readExcludedEnvironments(fields["excluded_environments"]);
    if (!reading.ok) throw new ClientError(400, "invalid_setting", reading.message);
    change = { ...change, excludedEnvironments: reading.environments };
  }
  return change;
}
