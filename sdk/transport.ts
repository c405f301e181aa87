/**
 * One signed JSON POST to the server, with a timeout, turned into a value:
 * a response (status, body, `Retry-After`), a network failure, or an abort.
 * Never throws.
 *
 * @module
 */

import { parseRetryAfter } from "./backoff.ts";
import type { Identity } from "./identity.ts";
import { seedOf } from "./identity.ts";
import { signHex } from "./signing.ts";
import type { Timers } from "./timers.ts";

/** What came of one request. */
export type HttpOutcome =
  | {
    readonly kind: "response";
    readonly status: number;
    readonly body: string;
    readonly retryAfterMs: number | undefined;
  }
  | { readonly kind: "network_error"; readonly message: string }
  | { readonly kind: "aborted" };

/** How long one request may take before it counts as a network failure. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** The part of `fetch` the SDK uses; passed in so that tests can see requests. */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/**
 * POSTs `body` to `url`, signed by `identity`: `X-Instance-ID` and
 * `X-Signature` (hex Ed25519 over the exact bytes sent). `signal` aborts it.
 */
export async function postSigned(
  url: string,
  body: string,
  options: {
    readonly identity: Identity;
    readonly signal: AbortSignal;
    readonly timers: Timers;
    readonly fetch: FetchLike;
    readonly now: () => number;
    readonly timeoutMs?: number;
  },
): Promise<HttpOutcome> {
  if (options.signal.aborted) return { kind: "aborted" };
  const bytes = new TextEncoder().encode(body);
  const signature = await signHex(seedOf(options.identity), bytes);

  const controller = new AbortController();
  const onAbort = () => controller.abort();
  options.signal.addEventListener("abort", onAbort, { once: true });
  let timedOut = false;
  const timer = options.timers.set(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs ?? REQUEST_TIMEOUT_MS);
  try {
    const response = await options.fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-Instance-ID": options.identity.instanceId,
        "X-Signature": signature,
      },
      body: bytes,
      signal: controller.signal,
    });
    const text = await response.text();
    return {
      kind: "response",
      status: response.status,
      body: text,
      retryAfterMs: parseRetryAfter(response.headers.get("Retry-After"), options.now()),
    };
  } catch (error) {
    if (timedOut) {
      return {
        kind: "network_error",
        message: `no answer within ${options.timeoutMs ?? REQUEST_TIMEOUT_MS} ms`,
      };
    }
    if (options.signal.aborted) return { kind: "aborted" };
    return {
      kind: "network_error",
      message: error instanceof Error ? error.message : String(error),
    };
  } finally {
    options.timers.clear(timer);
    options.signal.removeEventListener("abort", onAbort);
  }
}
