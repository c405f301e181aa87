/** In-memory token buckets: a steady rate per key with a burst of one minute's worth. */

import { ClientError } from "../errors.ts";

/** The answer of a rate check. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Allows `perMinute` requests per key per minute on average, with bursts up
 * to `perMinute`. Keys live only in memory and are forgotten once their bucket
 * is full again; at most `maxKeys` are kept (the oldest go first), so memory
 * stays bounded under any load. `perMinute` 0 allows everything.
 */
export class RateLimiter {
  readonly #perMinute: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(perMinute: number, options: { maxKeys?: number; now?: () => number } = {}) {
    if (!Number.isInteger(perMinute) || perMinute < 0) {
      throw new RangeError(`Cannot build a rate limiter for ${perMinute} per minute`);
    }
    this.#perMinute = perMinute;
    this.#maxKeys = options.maxKeys ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  /** Takes one token for `key`, or says how many seconds until one is available. */
  take(key: string): RateDecision {
    if (this.#perMinute === 0) return { allowed: true };
    const now = this.#now();
    const perMs = this.#perMinute / 60_000;
    const bucket = this.#buckets.get(key);
    let tokens = this.#perMinute;
    if (bucket !== undefined) {
      tokens = Math.min(this.#perMinute, bucket.tokens + (now - bucket.at) * perMs);
      this.#buckets.delete(key);
    }
    if (tokens < 1) {
      this.#buckets.set(key, { tokens, at: now });
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)),
      };
    }
    this.#buckets.set(key, { tokens: tokens - 1, at: now });
    this.#evict(now, perMs);
    return { allowed: true };
  }

  /**
   * Gives back one token taken for `key`, for a request that turned out not
   * to count (a sign-in that succeeded); never beyond the burst.
   */
  refund(key: string): void {
    const bucket = this.#buckets.get(key);
    if (bucket === undefined) return;
    this.#buckets.set(key, {
      tokens: Math.min(this.#perMinute, bucket.tokens + 1),
      at: bucket.at,
    });
  }

  /** How many keys are tracked right now. */
  get size(): number {
    return this.#buckets.size;
  }

  #evict(now: number, perMs: number): void {
    // Map order is least recently used first: drop refilled buckets, then any beyond the cap.
    for (const [key, bucket] of this.#buckets) {
      const full = bucket.tokens + (now - bucket.at) * perMs >= this.#perMinute;
      if (!full && this.#buckets.size <= this.#maxKeys) break;
      this.#buckets.delete(key);
    }
  }
}

/** Takes a token of `limiter` for `key`, or throws the protocol's 429 `rate_limited` with `Retry-After`. */
export function refuseOverLimit(limiter: RateLimiter, key: string): void {
  const decision = limiter.take(key);
  if (!decision.allowed) {
    throw new ClientError(
      429,
      "rate_limited",
      `Too many requests: retry in ${decision.retryAfterSeconds} s`,
      { headers: { "retry-after": String(decision.retryAfterSeconds) } },
    );
  }
}
