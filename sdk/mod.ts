/**
 * The SHM (Self-Hosted Metrics) SDK: privacy-respecting telemetry for
 * self-hosted applications, for Deno, Node.js (18 and later) and Bun.
 *
 * An application creates one {@linkcode SHMClient}, gives it a provider of
 * its own metrics, and starts it. The client keeps an Ed25519 identity in
 * `{dataDir}/{slug}_shm_identity.json`, registers the instance with the
 * server, and sends a signed snapshot every hour. `DO_NOT_TRACK=1` (or the
 * application's own `optOutEnv` variable) turns it off entirely; `await
 * client.preview()` shows what it would send; a CI run reports
 * `environment: "ci"`.
 *
 * @example Reporting an application's users
 * ```ts
 * import { SHMClient } from "@shm/sdk";
 *
 * const client = new SHMClient({
 *   serverUrl: "https://telemetry.example.com",
 *   appName: "my-app",
 *   appVersion: "1.4.2",
 * });
 * client.setProvider(() => ({ users_count: 42 }));
 * client.start();
 * ```
 *
 * @module
 */

export { SHMClient } from "./client.ts";
export { collectSystemMetricsFromEnv } from "./options.ts";
export type { Config, SHMOptions } from "./options.ts";
export type { Metrics, MetricsProvider } from "./provider.ts";
export type { ForgetResult, PreviewResult, SendResult } from "./results.ts";
export type { RegisterRequest, SendErrorCode, SnapshotRequest, Step } from "./protocol.ts";
export type { DeploymentMode, SystemMetrics } from "./system_metrics.ts";
export type { SHMLogger } from "./log.ts";
export type { Identity } from "./identity.ts";
