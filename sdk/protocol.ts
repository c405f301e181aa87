/**
 * The request bodies of the SHM protocol (version 1, with this server's
 * extensions) and the meaning of each answer, per endpoint.
 *
 * @module
 */

import type { Identity } from "./identity.ts";
import type { Metrics } from "./provider.ts";
import type { DeploymentMode } from "./system_metrics.ts";
import type { HttpOutcome } from "./transport.ts";

/**
 * The body of `POST /v1/register`.
 *
 * @example The body a new instance sends
 * ```ts
 * import type { RegisterRequest } from "@shm/sdk";
 *
 * const body: RegisterRequest = {
 *   instance_id: "0b9a6f8e-3f43-4b6e-9a55-4d1c7f0d2a11",
 *   public_key: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
 *   app_name: "my-app",
 *   app_version: "1.4.2",
 * };
 * ```
 */
export interface RegisterRequest {
  /** The instance id, a UUID. */
  instance_id: string;
  /** The instance's Ed25519 public key, 64 hex characters. */
  public_key: string;
  /** The application's name, 1 to 100 characters. */
  app_name: string;
  /** The application's version, 1 to 50 characters. */
  app_version: string;
  /** The `environment` option, when set. */
  environment?: string;
  /** Where the instance runs, when system metrics are on and it can be told. */
  deployment_mode?: DeploymentMode;
  /** `{os}/{arch}`, e.g. `linux/x64`, when system metrics are on. */
  os_arch?: string;
}

/**
 * The body of `POST /v1/snapshot`: what {@linkcode SHMClient.preview} shows.
 *
 * @example Listing the metric names of a preview
 * ```ts
 * import { SHMClient, type SnapshotRequest } from "@shm/sdk";
 *
 * const client = new SHMClient({
 *   serverUrl: "https://telemetry.example.com",
 *   appName: "my-app",
 *   appVersion: "1.4.2",
 * });
 * const preview = await client.preview();
 * if (preview.ok) {
 *   const snapshot: SnapshotRequest = preview.payload;
 *   console.log(Object.keys(snapshot.metrics));
 * }
 * ```
 */
export interface SnapshotRequest {
  /** The instance id, as in `X-Instance-ID`. */
  instance_id: string;
  /** RFC 3339 time of the snapshot, strictly later than the previous one. */
  timestamp: string;
  /** The provider's metrics and the system metrics. */
  metrics: Metrics;
  /** The application's version (protocol extension: upgrades show without a new registration). */
  app_version?: string;
  /** The `environment` option, when set. */
  environment?: string;
  /** Where the instance runs, when system metrics are on and it can be told. */
  deployment_mode?: DeploymentMode;
  /** `{os}/{arch}`, e.g. `linux/x64`, when system metrics are on. */
  os_arch?: string;
}

/** The instance's description that goes with registration and snapshots. */
export interface InstanceMeta {
  readonly appName: string;
  readonly appVersion: string;
  readonly environment: string | undefined;
  readonly deploymentMode: DeploymentMode | undefined;
  readonly osArch: string | undefined;
}

/** The JSON body of a registration. */
export function registerBody(identity: Identity, meta: InstanceMeta): string {
  const body: RegisterRequest = {
    instance_id: identity.instanceId,
    public_key: identity.publicKey,
    app_name: meta.appName,
    app_version: meta.appVersion,
  };
  if (meta.environment !== undefined) body.environment = meta.environment;
  if (meta.deploymentMode !== undefined) body.deployment_mode = meta.deploymentMode;
  if (meta.osArch !== undefined) body.os_arch = meta.osArch;
  return JSON.stringify(body);
}

/** The JSON body of an activation, as the original SDKs send it. */
export const ACTIVATE_BODY = '{"action":"activate"}';

/** The snapshot payload (not yet serialised). */
export function snapshotPayload(
  identity: Identity,
  snapshot: { readonly timestamp: string; readonly metrics: Metrics; readonly meta: InstanceMeta },
): SnapshotRequest {
  const { meta } = snapshot;
  const body: SnapshotRequest = {
    instance_id: identity.instanceId,
    timestamp: snapshot.timestamp,
    metrics: snapshot.metrics,
    app_version: meta.appVersion,
  };
  if (meta.environment !== undefined) body.environment = meta.environment;
  if (meta.deploymentMode !== undefined) body.deployment_mode = meta.deploymentMode;
  if (meta.osArch !== undefined) body.os_arch = meta.osArch;
  return body;
}

/**
 * The protocol's steps, in the order an instance takes them: `register`,
 * `activate`, `snapshot`; and `erase`, sent by {@linkcode SHMClient.forget}.
 *
 * @example Telling which step of a send failed
 * ```ts
 * import { SHMClient, type Step } from "@shm/sdk";
 *
 * const client = new SHMClient({
 *   serverUrl: "https://telemetry.example.com",
 *   appName: "my-app",
 *   appVersion: "1.4.2",
 * });
 * const result = await client.sendNow();
 * const failedAt: Step | undefined = result.ok ? undefined : result.step;
 * ```
 */
export type Step = "register" | "activate" | "snapshot" | "erase";

/** The path of each step's endpoint. */
export const STEP_PATH: Readonly<Record<Step, string>> = {
  register: "/v1/register",
  activate: "/v1/activate",
  snapshot: "/v1/snapshot",
  erase: "/v1/erase",
};

/** The JSON body of an erase request (this server's extension), timed `timestamp`. */
export function eraseBody(identity: Identity, timestamp: string): string {
  return JSON.stringify({ instance_id: identity.instanceId, action: "erase", timestamp });
}

/**
 * Why a send did not succeed:
 * - `disabled`: telemetry is off (DO_NOT_TRACK, `enabled: false`, bad options, no permission);
 * - `identity_unavailable`: the identity file could not be stored (read-only directory);
 * - `network_error`: no answer (refused, DNS, timeout);
 * - `rate_limited`: 429; `server_unavailable`: 5xx;
 * - `key_conflict`: the server pins another key to this instance id (409 on register);
 * - `replayed`: the server has a later snapshot already (409 on snapshot);
 * - `unknown_instance`: 403 even after registering again;
 * - `rejected`: another 4xx; the request will not succeed as it is;
 * - `unexpected_status`: an answer the protocol does not define;
 * - `aborted`: `stop()` was called meanwhile;
 * - `dry_run`: `SHM_TELEMETRY_DEBUG=dry-run` prints payloads instead of sending them;
 * - `internal_error`: a fault of the SDK itself, caught so that it cannot reach the application.
 *
 * @example Retrying a shutdown send only where a retry can help
 * ```ts
 * import { SHMClient, type SendErrorCode } from "@shm/sdk";
 *
 * const transient: SendErrorCode[] = ["network_error", "rate_limited", "server_unavailable"];
 * const client = new SHMClient({
 *   serverUrl: "https://telemetry.example.com",
 *   appName: "my-app",
 *   appVersion: "1.4.2",
 * });
 * let result = await client.sendNow();
 * if (!result.ok && transient.includes(result.code)) result = await client.sendNow();
 * ```
 */
export type SendErrorCode =
  | "disabled"
  | "identity_unavailable"
  | "network_error"
  | "rate_limited"
  | "server_unavailable"
  | "key_conflict"
  | "replayed"
  | "unknown_instance"
  | "rejected"
  | "unexpected_status"
  | "aborted"
  | "dry_run"
  | "internal_error";

/** What one step's answer means. */
export type StepVerdict =
  | { readonly ok: true; readonly status: number; readonly body: string }
  | {
    readonly ok: false;
    readonly code: SendErrorCode;
    readonly status: number | null;
    readonly message: string;
    /** Worth retrying soon, with backoff. */
    readonly retry: boolean;
    readonly retryAfterMs?: number | undefined;
  };

/** Reads the answer of `step` as the protocol defines it. */
export function judge(step: Step, outcome: HttpOutcome): StepVerdict {
  if (outcome.kind === "aborted") {
    return { ok: false, code: "aborted", status: null, message: "stopped", retry: false };
  }
  if (outcome.kind === "network_error") {
    return {
      ok: false,
      code: "network_error",
      status: null,
      message: `Cannot reach the server for ${step}: ${outcome.message}`,
      retry: true,
    };
  }
  const { status, body, retryAfterMs } = outcome;
  const expected = step === "register" ? [200, 201] : step === "snapshot" ? [202] : [200];
  if (expected.includes(status)) return { ok: true, status, body };
  // An erase of an instance the server does not know (erased before, or never registered
  // there) leaves nothing behind: that is what was asked.
  if (step === "erase" && status === 403 && errorCode(body) === "unknown_instance") {
    return { ok: true, status, body };
  }
  const detail = errorMessage(body);
  const fail = (code: SendErrorCode, retry: boolean, message: string): StepVerdict => ({
    ok: false,
    code,
    status,
    message: `${message} (${step}: ${status}${detail === undefined ? "" : `, ${detail}`})`,
    retry,
    retryAfterMs,
  });
  if (status === 429) return fail("rate_limited", true, "The server asks to slow down");
  if (status >= 500) return fail("server_unavailable", true, "The server is unavailable");
  if (status === 409 && step === "register") {
    return fail("key_conflict", false, "The server holds another public key for this instance id");
  }
  if (status === 409) return fail("replayed", false, "The server already has a later snapshot");
  if (status === 403) return fail("unknown_instance", false, "The server refuses this instance");
  if (status >= 400) return fail("rejected", false, "The server rejected the request");
  return fail("unexpected_status", false, "The server gave an unexpected answer");
}

/** The `dropped` list of a 202 snapshot answer; empty when absent. */
export function droppedKeys(body: string): string[] {
  try {
    const parsed: unknown = JSON.parse(body);
    const dropped = (parsed as { dropped?: unknown } | null)?.dropped;
    return Array.isArray(dropped) ? dropped.filter((d): d is string => typeof d === "string") : [];
  } catch {
    return [];
  }
}

function errorCode(body: string): string | undefined {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } } | null)?.error?.code;
    return typeof code === "string" ? code : undefined;
  } catch {
    return undefined;
  }
}

function errorMessage(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (typeof error?.message !== "string") return undefined;
    return typeof error.code === "string" ? `${error.code}: ${error.message}` : error.message;
  } catch {
    // Not JSON: old servers answer some errors in plain text.
  }
  const text = body.trim();
  return text === "" ? undefined : text.slice(0, 200);
}
