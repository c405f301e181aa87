/**
 * Calling the application's metrics provider so that nothing it does can
 * break a send: a throw, a rejection, a value that is not an object or not
 * JSON, or a promise that never settles all become a failed result.
 *
 * @module
 */

import type { Timers } from "./timers.ts";

/**
 * The metrics of one snapshot: a JSON object. The server flattens nested
 * objects with `.` (depth at most 4) and accepts finite numbers, booleans,
 * strings up to 256 characters and `null` as values.
 *
 * @example Metrics with a nested group
 * ```ts
 * import type { Metrics } from "@shm/sdk";
 *
 * const metrics: Metrics = { users_count: 12, storage: { backend: "s3", used_gb: 3.5 } };
 * ```
 */
export type Metrics = { [key: string]: unknown };

/**
 * A function that returns the application's own metrics for the next
 * snapshot, at once or as a promise. It is called before each snapshot.
 *
 * @example A provider that counts rows
 * ```ts
 * import type { MetricsProvider } from "@shm/sdk";
 *
 * async function countUsers(): Promise<number> {
 *   return 42;
 * }
 * const provider: MetricsProvider = async () => ({ users_count: await countUsers() });
 * ```
 */
export type MetricsProvider = () => Metrics | Promise<Metrics>;

/** The provider's metrics, or why there are none this time. */
export type ProviderResult =
  | { readonly ok: true; readonly metrics: Metrics }
  | { readonly ok: false; readonly message: string };

/**
 * Calls `provider` and returns a JSON-clean copy of its metrics, or a failure
 * when it throws, rejects, returns something other than a JSON object, or has
 * not settled after `timeoutMs`.
 */
export async function runProvider(
  provider: MetricsProvider,
  options: { readonly timeoutMs: number; readonly timers: Timers },
): Promise<ProviderResult> {
  let timer: ReturnType<Timers["set"]> | undefined;
  const timeout = new Promise<ProviderResult>((resolve) => {
    timer = options.timers.set(
      () =>
        resolve({
          ok: false,
          message:
            `Cannot use the metrics provider as it did not answer within ${options.timeoutMs} ms`,
        }),
      options.timeoutMs,
    );
  });
  const call = (async (): Promise<ProviderResult> => {
    try {
      return toMetrics(await provider());
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { ok: false, message: `Cannot use the metrics provider as it threw: ${reason}` };
    }
  })();
  try {
    return await Promise.race([call, timeout]);
  } finally {
    if (timer !== undefined) options.timers.clear(timer);
  }
}

function toMetrics(value: unknown): ProviderResult {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const got = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    return {
      ok: false,
      message: `Cannot use the metrics provider as it returned ${got}, not an object`,
    };
  }
  try {
    return { ok: true, metrics: JSON.parse(JSON.stringify(value)) as Metrics };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      ok: false,
      message: `Cannot use the metrics provider as its result is not JSON: ${reason}`,
    };
  }
}
