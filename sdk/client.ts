/**
 * {@linkcode SHMClient}, the one class an application uses.
 *
 * @module
 */

import type { SHMOptions } from "./options.ts";
import type { MetricsProvider } from "./provider.ts";
import type { ForgetResult, PreviewResult, SendResult } from "./results.ts";
import { Reporter } from "./reporter.ts";
import { defaultRuntime } from "./runtime.ts";

/**
 * Reports an instance of a self-hosted application to an SHM server:
 * registers it once, then sends a signed snapshot of its metrics every
 * `reportIntervalMs`. It never throws into the application, never delays its
 * start, and never keeps its process alive.
 *
 * With `DO_NOT_TRACK=1` (or `true`) in the environment, the application's
 * own `optOutEnv` variable set likewise, or `enabled: false`, it does
 * nothing at all: no request, no file, no timer. On a CI service (`CI`,
 * `GITHUB_ACTIONS`, …) it reports `environment: "ci"` unless the
 * application set an environment. The first time it creates the instance's
 * identity it logs one notice saying what is sent and how to turn it off.
 *
 * @example Reporting an application's users every hour
 * ```ts
 * import { SHMClient } from "@shm/sdk";
 *
 * async function countUsers(): Promise<number> {
 *   return 42;
 * }
 *
 * const client = new SHMClient({
 *   serverUrl: "https://telemetry.example.com",
 *   appName: "my-app",
 *   appVersion: "1.4.2",
 * });
 * client.setProvider(async () => ({ users_count: await countUsers() }));
 * client.start();
 * // … when the application shuts down:
 * await client.stop();
 * ```
 */
export class SHMClient {
  #reporter: Reporter;

  /**
   * Checks `options` and reads the environment (`DO_NOT_TRACK`, the
   * `optOutEnv` variable, `SHM_COLLECT_SYSTEM_METRICS`, `SHM_TELEMETRY_DEBUG`
   * and the CI services' variables) once. Never throws: options that are
   * wrong turn telemetry off with a warning.
   *
   * @example An application's own opt-out variable, and no notice
   * ```ts
   * import { SHMClient } from "@shm/sdk";
   *
   * // MYAPP_NO_TELEMETRY=1 now turns telemetry off, exactly as DO_NOT_TRACK=1 does.
   * const client = new SHMClient({
   *   serverUrl: "https://telemetry.example.com",
   *   appName: "my-app",
   *   appVersion: "1.4.2",
   *   optOutEnv: "MYAPP_NO_TELEMETRY",
   *   notice: false,
   * });
   * ```
   *
   * @example Options read from the application's configuration
   * ```ts
   * import { SHMClient } from "@shm/sdk";
   *
   * const client = new SHMClient({
   *   serverUrl: "https://telemetry.example.com",
   *   appName: "my-app",
   *   appVersion: "1.4.2",
   *   dataDir: "./data",
   *   environment: "production",
   *   reportIntervalMs: 6 * 60 * 60 * 1000,
   * });
   * ```
   */
  constructor(options: SHMOptions) {
    this.#reporter = new Reporter(options, defaultRuntime());
  }

  /**
   * Sets the function called before each snapshot for the application's own
   * metrics. If it throws, rejects or takes longer than `providerTimeoutMs`,
   * the snapshot goes with system metrics only and the problem is logged once.
   *
   * @example Counting something at each snapshot
   * ```ts
   * import { SHMClient } from "@shm/sdk";
   *
   * const jobs: string[] = [];
   * const client = new SHMClient({
   *   serverUrl: "https://telemetry.example.com",
   *   appName: "my-app",
   *   appVersion: "1.4.2",
   * });
   * client.setProvider(() => ({ jobs_queued: jobs.length }));
   * ```
   */
  setProvider(provider: MetricsProvider): void {
    this.#reporter.setProvider(provider);
  }

  /**
   * Starts reporting and returns at once: the identity is loaded (or
   * created), the instance registered and a first snapshot sent in the
   * background, then one snapshot every `reportIntervalMs`. Never throws.
   * Returns an `AbortController` whose `abort()` stops the client, as the
   * original SDK's `start()` did; calling `start()` again while running
   * returns the same one.
   *
   * @example Starting, and stopping through the returned controller
   * ```ts
   * import { SHMClient } from "@shm/sdk";
   *
   * const client = new SHMClient({
   *   serverUrl: "https://telemetry.example.com",
   *   appName: "my-app",
   *   appVersion: "1.4.2",
   * });
   * const controller = client.start();
   * controller.abort();
   * ```
   */
  start(): AbortController {
    return this.#reporter.start();
  }

  /**
   * Stops reporting: clears the timer and aborts a request in flight.
   * Resolves once nothing of the client runs any more. Never rejects.
   *
   * @example Stopping on shutdown
   * ```ts
   * import { SHMClient } from "@shm/sdk";
   *
   * const client = new SHMClient({
   *   serverUrl: "https://telemetry.example.com",
   *   appName: "my-app",
   *   appVersion: "1.4.2",
   * });
   * client.start();
   * await client.stop();
   * ```
   */
  stop(): Promise<void> {
    return this.#reporter.stop();
  }

  /**
   * Sends one snapshot now, registering the instance first if needed, and
   * resolves with the outcome. Never rejects. For tests, and for a host's
   * shutdown hook.
   *
   * @example A last snapshot on shutdown
   * ```ts
   * import { SHMClient } from "@shm/sdk";
   *
   * const client = new SHMClient({
   *   serverUrl: "https://telemetry.example.com",
   *   appName: "my-app",
   *   appVersion: "1.4.2",
   * });
   * const result = await client.sendNow();
   * if (!result.ok) console.warn(`telemetry: ${result.code}`);
   * await client.stop();
   * ```
   */
  sendNow(): Promise<SendResult> {
    return this.#reporter.sendNow();
  }

  /**
   * Returns the JSON the next snapshot would carry, built by the same code as
   * a real send, without sending anything: what would leave the machine.
   * Values that change (timestamp, memory, the provider's counts) are those
   * of the moment of the call. Never rejects.
   *
   * @example Printing the payload for the user to see
   * ```ts
   * import { SHMClient } from "@shm/sdk";
   *
   * const client = new SHMClient({
   *   serverUrl: "https://telemetry.example.com",
   *   appName: "my-app",
   *   appVersion: "1.4.2",
   * });
   * const preview = await client.preview();
   * if (preview.ok) console.log(preview.json);
   * ```
   */
  preview(): Promise<PreviewResult> {
    return this.#reporter.preview();
  }

  /**
   * Erases this instance: stops the client, asks the server to remove every
   * row it holds of this instance (`POST /v1/erase`), then deletes the
   * identity file. The way to honour a user who turns telemetry off and wants
   * what was sent removed. Afterwards this client sends nothing more; a client
   * started later makes a new identity, so keep the user's choice and do not
   * start one. When the server cannot be reached the identity file is kept,
   * so that a later call can still erase. Never rejects. With telemetry off
   * (`DO_NOT_TRACK`, the `optOutEnv` variable, `enabled: false`) nothing is
   * sent and `disabled` is the answer: call `forget()` before turning it off.
   *
   * @example Erasing when the user opts out
   * ```ts
   * import { SHMClient } from "@shm/sdk";
   *
   * const client = new SHMClient({
   *   serverUrl: "https://telemetry.example.com",
   *   appName: "my-app",
   *   appVersion: "1.4.2",
   * });
   * const result = await client.forget();
   * if (result.ok) console.log("telemetry data erased");
   * else console.warn(`could not erase yet: ${result.message}`);
   * ```
   */
  forget(): Promise<ForgetResult> {
    return this.#reporter.forget();
  }
}
