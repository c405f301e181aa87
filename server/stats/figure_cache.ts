/**
 * Figures remembered for a few seconds: a badge in a popular README is asked
 * for many times a minute, and its number need not be fresher than that. The
 * last figure computed for each key is kept longer, for when the store cannot
 * be read (a badge then shows its last figure rather than nothing).
 */

/**
 * Where the last known figures of several caches meet: with several accept
 * loops, a figure one loop computed is the last known figure of every loop,
 * so that during a store outage a badge shows it whichever loop is asked.
 * Values are plain data (structured-clonable).
 */
export interface LastKnownShare {
  /** Tells the other caches that `key`'s last figure is `value`. */
  publish(key: string, value: unknown): void;
  /** Calls `receive` with each figure another cache publishes. */
  subscribe(receive: (key: string, value: unknown) => void): void;
}

/**
 * Remembers computed figures by key for `ttlMs`, and the last one computed for
 * each key until it is pushed out; at most `maxEntries` of each are kept.
 * With a `share`, the last figures are also those the other caches computed.
 */
export class FigureCache {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, { expires: number; value: Promise<unknown> }>();
  readonly #lastKnown = new Map<string, unknown>();
  readonly #share: LastKnownShare | undefined;

  /** A cache whose entries live `ttlMs` milliseconds; 0 remembers nothing. */
  constructor(ttlMs: number, options: { maxEntries?: number; share?: LastKnownShare } = {}) {
    if (!(ttlMs >= 0)) throw new RangeError(`Cannot keep figures for ${ttlMs} ms`);
    this.#ttlMs = ttlMs;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#share = options.share;
    this.#share?.subscribe((key, value) => this.#keepLastKnown(key, value));
  }

  /**
   * Returns the figure for `key` if it was computed less than the time to live
   * before `nowMs`, else computes it with `compute`. Callers asking at the same
   * time share one computation; a computation that fails is not remembered.
   */
  get<T>(key: string, nowMs: number, compute: () => Promise<T>): Promise<T> {
    if (this.#ttlMs === 0) return this.#remembered(key, compute());
    const hit = this.#entries.get(key);
    if (hit !== undefined && hit.expires > nowMs) return hit.value as Promise<T>;
    const value = this.#remembered(key, compute());
    this.#entries.delete(key);
    this.#entries.set(key, { expires: nowMs + this.#ttlMs, value });
    value.catch(() => {
      if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
    });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    return value;
  }

  /**
   * The last figure computed for `key`, however old, or undefined when none
   * was. For answering with a stale figure when computing a fresh one failed.
   */
  lastKnown<T>(key: string): { readonly value: T } | undefined {
    return this.#lastKnown.has(key) ? { value: this.#lastKnown.get(key) as T } : undefined;
  }

  /** How many figures are remembered now (within their time to live). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Keeps the value `computed` resolves with as the last known figure of
   * `key`, here and in the caches this one shares with.
   */
  #remembered<T>(key: string, computed: Promise<T>): Promise<T> {
    computed.then((value) => {
      this.#keepLastKnown(key, value);
      this.#share?.publish(key, value);
    }, () => {});
    return computed;
  }

  #keepLastKnown(key: string, value: unknown): void {
    this.#lastKnown.delete(key);
    this.#lastKnown.set(key, value);
    if (this.#lastKnown.size > this.#maxEntries) {
      const oldest = this.#lastKnown.keys().next();
      if (!oldest.done) this.#lastKnown.delete(oldest.value);
    }
  }
}
