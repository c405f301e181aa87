/**
 * The client's options, and the one place where they and the environment
 * variables are read and checked, once, into a frozen {@linkcode Settings}.
 *
 * @module
 */

import { detectCi } from "./ci.ts";
import { detectHost } from "./detect_host.ts";
import type { Host } from "./host.ts";
import type { SHMLogger } from "./log.ts";
import { MAX_TIMER_MS } from "./timers.ts";

/**
 * Options of {@linkcode SHMClient}. The names are those of the original SHM
 * Node SDK, so that moving from it is a one-line import change.
 *
 * @example The smallest set of options
 * ```ts
 * import type { SHMOptions } from "@shm/sdk";
 *
 * const options: SHMOptions = {
 *   serverUrl: "https://telemetry.example.com",
 *   appName: "my-app",
 *   appVersion: "1.4.2",
 * };
 * ```
 */
export interface SHMOptions {
  /** Base URL of the SHM server, `http:` or `https:`, e.g. `https://telemetry.example.com`. */
  serverUrl: string;
  /** Name of the application, 1 to 100 characters. */
  appName: string;
  /** Version of the application, 1 to 50 characters. */
  appVersion: string;
  /** Directory of the identity file, created if missing. Default: `.` (the working directory). */
  dataDir?: string;
  /**
   * Environment label sent with each snapshot (`production`, `staging`, …),
   * at most 50 characters. Default: `ci` when a CI service's environment
   * variable is set (`CI`, `GITHUB_ACTIONS`, …; see the README), otherwise none.
   */
  environment?: string;
  /** `false` turns telemetry off: no request, no file, no timer. Default: `true`. */
  enabled?: boolean;
  /**
   * The name of the application's own opt-out variable, e.g.
   * `MYAPP_NO_TELEMETRY`: set to `1` or `true`, it turns telemetry off
   * exactly as `DO_NOT_TRACK` does. Letters, digits and `_`, not starting
   * with a digit. Default: none.
   */
  optOutEnv?: string;
  /**
   * `false` silences the one-line notice logged (at info level, shown by the
   * default logger too) when this instance's identity is first created,
   * saying what is sent and how to turn it off. Default: `true`.
   */
  notice?: boolean;
  /** Milliseconds between snapshots. Default: 3 600 000 (1 h); at least 60 000 (1 min). */
  reportIntervalMs?: number;
  /**
   * `false` sends custom metrics only. Default: `true`, unless the
   * environment variable `SHM_COLLECT_SYSTEM_METRICS` is `0` or `false`,
   * which always wins.
   */
  collectSystemMetrics?: boolean;
  /** How long the metrics provider may take before a snapshot goes without it. Default: 5 000. */
  providerTimeoutMs?: number;
  /** Where messages go. Default: the console, warnings only unless `SHM_TELEMETRY_DEBUG` is set. */
  logger?: SHMLogger;
}

/**
 * The original SHM Node SDK's name for {@linkcode SHMOptions}.
 *
 * @example Code written for the original SDK keeps compiling
 * ```ts
 * import type { Config } from "@shm/sdk";
 *
 * const config: Config = { serverUrl: "https://t.example.com", appName: "a", appVersion: "1" };
 * ```
 */
export type Config = SHMOptions;

/** What `SHM_TELEMETRY_DEBUG` asks for: nothing, payloads printed before sending, or instead of. */
export type DebugMode = "off" | "print" | "dry-run";

/** The checked settings of a client whose telemetry is on. */
export interface Settings {
  /** The server's base URL without a trailing `/`. */
  readonly serverUrl: string;
  readonly appName: string;
  readonly appVersion: string;
  readonly dataDir: string;
  /** The application's environment, or `ci` when it set none and a CI variable is set. */
  readonly environment: string | undefined;
  /** The variable that made the environment `ci`, when it was detected rather than set. */
  readonly ciVariable: string | undefined;
  /** The application's own opt-out variable, if it named one. */
  readonly optOutEnv: string | undefined;
  /** Whether to log the notice when the identity is first created. */
  readonly notice: boolean;
  readonly reportIntervalMs: number;
  readonly collectSystemMetrics: boolean;
  readonly providerTimeoutMs: number;
  readonly debug: DebugMode;
}

/** Telemetry on with its settings, or off and why (and whether that deserves a warning). */
export type Resolution =
  | { readonly enabled: true; readonly settings: Settings; readonly notes: readonly string[] }
  | { readonly enabled: false; readonly reason: string; readonly warn: boolean };

/** Default time between snapshots: one hour. */
export const DEFAULT_REPORT_INTERVAL_MS = 3_600_000;
/** Shortest time between snapshots: one minute. */
export const MIN_REPORT_INTERVAL_MS = 60_000;
/** Default time a metrics provider may take. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 5_000;

const ENV_NAMES = ["DO_NOT_TRACK", "SHM_COLLECT_SYSTEM_METRICS", "SHM_TELEMETRY_DEBUG"];
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,99}$/;

/**
 * Reads `options` and the environment once. Never throws: options that are
 * wrong (a JavaScript caller can pass anything) turn telemetry off with a
 * reason. `DO_NOT_TRACK`, the application's `optOutEnv` and `enabled: false`
 * turn it off quietly.
 */
export function resolveSettings(options: SHMOptions, host: Host | undefined): Resolution {
  if (host === undefined) {
    return { enabled: false, reason: "this runtime is not supported", warn: true };
  }
  if (options?.enabled === false) {
    return { enabled: false, reason: "the enabled option is false", warn: false };
  }
  const optOutEnv = options?.optOutEnv;
  const optOutValid = optOutEnv === undefined ||
    (typeof optOutEnv === "string" && ENV_NAME.test(optOutEnv));
  const optOutNames = optOutValid && optOutEnv !== undefined ? [optOutEnv] : [];
  for (const name of ["DO_NOT_TRACK", ...optOutNames]) {
    const read = host.env(name);
    if (!read.readable) {
      const grant = [...ENV_NAMES, ...optOutNames].join(",");
      return {
        enabled: false,
        reason:
          `the environment variable ${name} may not be read (with Deno, grant --allow-env=${grant})`,
        warn: true,
      };
    }
    if (isTrue(read.value)) return { enabled: false, reason: `${name} is set`, warn: false };
  }
  if (!optOutValid) {
    return {
      enabled: false,
      reason: `optOutEnv must be the name of an environment variable (letters, digits and _, ` +
        `not starting with a digit, at most 100 characters): ${describeValue(optOutEnv)}`,
      warn: true,
    };
  }

  const problem = checkOptions(options);
  if (problem !== undefined) return { enabled: false, reason: problem, warn: true };

  const serverUrl = new URL(options.serverUrl);
  if (!host.mayConnect(serverUrl)) {
    return {
      enabled: false,
      reason:
        `there is no permission to connect to ${serverUrl.host} (with Deno, grant --allow-net=${serverUrl.host})`,
      warn: true,
    };
  }

  const notes: string[] = [];
  let reportIntervalMs = options.reportIntervalMs ?? DEFAULT_REPORT_INTERVAL_MS;
  if (reportIntervalMs < MIN_REPORT_INTERVAL_MS) {
    notes.push(`reportIntervalMs ${reportIntervalMs} is raised to the minimum of 60000`);
    reportIntervalMs = MIN_REPORT_INTERVAL_MS;
  }
  reportIntervalMs = Math.min(reportIntervalMs, MAX_TIMER_MS);

  const ciVariable = options.environment === undefined ? detectCi(host) : undefined;
  const settings: Settings = Object.freeze({
    serverUrl: serverUrl.href.replace(/\/+$/, ""),
    appName: options.appName,
    appVersion: options.appVersion,
    dataDir: options.dataDir ?? ".",
    environment: options.environment ?? (ciVariable === undefined ? undefined : "ci"),
    ciVariable,
    optOutEnv: options.optOutEnv,
    notice: options.notice !== false,
    reportIntervalMs,
    collectSystemMetrics: options.collectSystemMetrics !== false &&
      systemMetricsAllowedByEnv(host),
    providerTimeoutMs: options.providerTimeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS,
    debug: debugMode(host),
  });
  return { enabled: true, settings, notes };
}

/** What `SHM_TELEMETRY_DEBUG` asks for, read through `host`. */
export function debugMode(host: Host | undefined): DebugMode {
  const read = host?.env("SHM_TELEMETRY_DEBUG");
  if (read === undefined || !read.readable || read.value === undefined) return "off";
  const value = read.value.trim().toLowerCase();
  if (value === "dry-run" || value === "dry_run") return "dry-run";
  return isTrue(value) ? "print" : "off";
}

/**
 * Whether the environment lets the SDK collect system metrics: `true` unless
 * `SHM_COLLECT_SYSTEM_METRICS` is `0` or `false` (any case), or may not be read.
 *
 * @example Reporting what the user of the host application chose
 * ```ts
 * import { collectSystemMetricsFromEnv } from "@shm/sdk";
 *
 * console.log(collectSystemMetricsFromEnv() ? "system metrics on" : "custom metrics only");
 * ```
 */
export function collectSystemMetricsFromEnv(): boolean {
  const host = detectHost();
  return host !== undefined && systemMetricsAllowedByEnv(host);
}

function systemMetricsAllowedByEnv(host: Host): boolean {
  const read = host.env("SHM_COLLECT_SYSTEM_METRICS");
  if (!read.readable) return false;
  const value = (read.value ?? "").trim().toLowerCase();
  return value !== "0" && value !== "false";
}

function isTrue(value: string | undefined): boolean {
  const v = (value ?? "").trim().toLowerCase();
  return v === "1" || v === "true";
}

function checkOptions(options: SHMOptions): string | undefined {
  if (typeof options !== "object" || options === null) return "options must be an object";
  const { serverUrl, appName, appVersion, dataDir, environment } = options;
  if (typeof serverUrl !== "string") return "serverUrl must be a string";
  let url: URL;
  try {
    url = new URL(serverUrl);
  } catch {
    return `serverUrl is not a URL: "${serverUrl}"`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `serverUrl must use http or https: "${serverUrl}"`;
  }
  const text = checkText("appName", appName, 100) ?? checkText("appVersion", appVersion, 50);
  if (text !== undefined) return text;
  if (environment !== undefined) {
    const problem = checkText("environment", environment, 50);
    if (problem !== undefined) return problem;
  }
  if (dataDir !== undefined && (typeof dataDir !== "string" || dataDir === "")) {
    return "dataDir must be a non-empty string";
  }
  if (options.notice !== undefined && typeof options.notice !== "boolean") {
    return `notice must be true or false: ${describeValue(options.notice)}`;
  }
  for (const name of ["reportIntervalMs", "providerTimeoutMs"] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== "number" || !(value > 0) || !isFinite(value))) {
      return `${name} must be a positive number: ${String(value)}`;
    }
  }
  return undefined;
}

function checkText(name: string, value: unknown, max: number): string | undefined {
  if (typeof value !== "string" || value.trim() === "") return `${name} must be a non-empty string`;
  if (value.length > max) {
    return `${name} is longer than ${max} characters: "${value.slice(0, 20)}…"`;
  }
  return undefined;
}

function describeValue(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}
