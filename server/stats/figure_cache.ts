/**
 * Figures remembered for a few seconds: a badge in a popular README is asked
 * for many times a minute, and its number need not be fresher than that.
 */

/** Remembers computed figures by key for `ttlMs`; at most `maxEntries` are kept. */
export class FigureCache {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #entries = new Map<string, { expires: number; value: Promise<unknown> }>();

  /** A cache whose entries live `ttlMs` milliseconds; 0 remembers nothing. */
  constructor(ttlMs: number, options: { maxEntries?: number } = {}) {
    if (!(ttlMs >= 0)) throw new RangeError(`Cannot keep figures for ${ttlMs} ms`);
    this.#ttlMs = ttlMs;
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  /**
   * Returns the figure for `key` if it was computed less than the time to live
   * before `nowMs`, else computes it with `compute`. Callers asking at the same
   * time share one computation; a computation that fails is not remembered.
   */
  get<T>(key: string, nowMs: number, compute: () => Promise<T>): Promise<T> {
    if (this.#ttlMs === 0) return compute();
    const hit = this.#entries.get(key);
    if (hit !== undefined && hit.expires > nowMs) return hit.value as Promise<T>;
    const value = compute();
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

  /** How many figures are remembered now. */
  get size(): number {
    return this.#entries.size;
  }
}
