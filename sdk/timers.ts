/**
 * Timers that never keep the process alive: unref'd on Node.js and Bun,
 * `Deno.unrefTimer` on Deno.
 *
 * @module
 */

/** An opaque handle of a timer set by {@linkcode Timers.set}. */
export type TimerHandle = { readonly id: unknown };

/** Sets and clears one-shot timers. Passed in, so that tests can drive time. */
export interface Timers {
  /** Calls `callback` once after `ms` milliseconds. */
  set(callback: () => void, ms: number): TimerHandle;
  /** Cancels a timer; does nothing if it already ran. */
  clear(handle: TimerHandle): void;
}

/** The longest delay `setTimeout` accepts (about 24.8 days). */
export const MAX_TIMER_MS: number = 2 ** 31 - 1;

/** Timers on the runtime's clock that do not keep the process alive. */
export const unrefTimers: Timers = {
  set(callback, ms) {
    const id: unknown = setTimeout(callback, Math.min(Math.max(ms, 0), MAX_TIMER_MS));
    unref(id);
    return { id };
  },
  clear(handle) {
    clearTimeout(handle.id as number);
  },
};

function unref(id: unknown): void {
  if (typeof id === "object" && id !== null) {
    const timer = id as { unref?: unknown };
    if (typeof timer.unref === "function") timer.unref();
    return;
  }
  const deno = (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno;
  if (typeof id === "number" && typeof deno?.unrefTimer === "function") deno.unrefTimer(id);
}
