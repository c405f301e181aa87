/**
 * How long to wait before retrying after a network failure, a 429 or a 503:
 * exponential, with jitter so that many instances that failed together do not
 * retry together, and never longer than the report interval.
 *
 * @module
 */

/** The first retry waits about this long. */
export const BACKOFF_BASE_MS = 30_000;

/**
 * The delay before retry number `attempt` (1 for the first retry): half of
 * `base · 2^(attempt−1)` plus a random share of the other half, at least
 * `retryAfterMs` when the server asked for that, and at most `capMs`.
 * `random` returns a number in [0, 1).
 */
export function backoffDelayMs(
  attempt: number,
  options: {
    readonly capMs: number;
    readonly random: () => number;
    readonly baseMs?: number;
    readonly retryAfterMs?: number | undefined;
  },
): number {
  const base = options.baseMs ?? BACKOFF_BASE_MS;
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const ceiling = Math.min(base * 2 ** exponent, options.capMs);
  const jittered = ceiling / 2 + options.random() * (ceiling / 2);
  const wanted = Math.max(jittered, options.retryAfterMs ?? 0);
  return Math.round(Math.min(wanted, options.capMs));
}

/**
 * The delay a `Retry-After` header asks for, in milliseconds: either a number
 * of seconds or an HTTP date. `undefined` when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP date names its day; a bare number that is not whole seconds is malformed.
  if (!/[a-z]/i.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(date - nowMs, 0);
}
