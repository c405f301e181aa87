/**
 * The results of {@linkcode SHMClient.sendNow} and
 * {@linkcode SHMClient.preview}: discriminated unions the application
 * branches on, never exceptions.
 *
 * @module
 */

import type { SendErrorCode, SnapshotRequest, Step } from "./protocol.ts";

/**
 * The outcome of a send: the server took the snapshot (202), possibly
 * dropping some metrics, or why it did not.
 *
 * @example Branching on the outcome of a send
 * ```ts
 * import { SHMClient, type SendResult } from "@shm/sdk";
 *
 * const client = new SHMClient({
 *   serverUrl: "https://telemetry.example.com",
 *   appName: "my-app",
 *   appVersion: "1.4.2",
 * });
 * const result: SendResult = await client.sendNow();
 * if (result.ok) console.log(`sent; dropped: ${result.dropped.join(", ") || "none"}`);
 * else if (result.code !== "disabled") console.log(`not sent: ${result.message}`);
 * ```
 */
export type SendResult =
  | {
    readonly ok: true;
    /** The HTTP status, 202. */
    readonly status: number;
    /** The instance id the snapshot was sent for. */
    readonly instanceId: string;
    /** Metrics the server dropped, as `"key: reason"`. */
    readonly dropped: readonly string[];
  }
  | {
    readonly ok: false;
    /** The HTTP status, or `null` when there was no answer (or no request). */
    readonly status: number | null;
    /** Why, for the application to branch on. */
    readonly code: SendErrorCode;
    /** Why, in one sentence for a person. */
    readonly message: string;
    /** The protocol step that failed, when one did. */
    readonly step?: Step;
  };

/**
 * The exact JSON the next snapshot would carry, or why there would be none.
 *
 * @example Showing the user what leaves their machine
 * ```ts
 * import { SHMClient, type PreviewResult } from "@shm/sdk";
 *
 * const client = new SHMClient({
 *   serverUrl: "https://telemetry.example.com",
 *   appName: "my-app",
 *   appVersion: "1.4.2",
 * });
 * const preview: PreviewResult = await client.preview();
 * console.log(preview.ok ? preview.json : `telemetry is off: ${preview.message}`);
 * ```
 */
export type PreviewResult =
  | {
    readonly ok: true;
    /** The endpoint the body goes to. */
    readonly endpoint: "/v1/snapshot";
    /** The body, byte for byte as it would be signed and sent. */
    readonly json: string;
    /** The same body, parsed. */
    readonly payload: SnapshotRequest;
  }
  | {
    readonly ok: false;
    readonly code: "disabled" | "identity_unavailable" | "internal_error";
    readonly message: string;
  };

/**
 * The outcome of {@linkcode SHMClient.forget}: the server erased every row of
 * this instance and the identity file is deleted, or why not. `instanceId` is
 * `undefined` when there was no identity here, so nothing had been sent.
 *
 * @example Honouring a user who turns telemetry off
 * ```ts
 * import { type ForgetResult, SHMClient } from "@shm/sdk";
 *
 * const client = new SHMClient({
 *   serverUrl: "https://telemetry.example.com",
 *   appName: "my-app",
 *   appVersion: "1.4.2",
 * });
 * const result: ForgetResult = await client.forget();
 * if (!result.ok) console.warn(`telemetry data not erased yet: ${result.message}`);
 * ```
 */
export type ForgetResult =
  | {
    readonly ok: true;
    /** The id of the erased instance; `undefined` when no identity was stored here. */
    readonly instanceId: string | undefined;
  }
  | Extract<SendResult, { ok: false }>;

/** A failed {@linkcode SendResult}. */
export type SendFailure = Extract<SendResult, { ok: false }>;
