/**
 * Everything the reporter takes from the world, in one value, so that tests
 * can hand it timers they drive, a chosen environment, and a fixed clock.
 *
 * @module
 */

import { detectHost } from "./detect_host.ts";
import type { Host } from "./host.ts";
import type { Timers } from "./timers.ts";
import { unrefTimers } from "./timers.ts";
import type { FetchLike } from "./transport.ts";

/** Everything the reporter takes from the world. */
export interface Runtime {
  readonly host: Host | undefined;
  readonly timers: Timers;
  readonly fetch: FetchLike;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** A number in [0, 1), for jitter. */
  readonly random: () => number;
  /** Milliseconds since the process started. */
  readonly uptimeMs: () => number;
}

/** The real runtime: detected host, unref'd timers, global fetch and clock. */
export function defaultRuntime(): Runtime {
  return {
    host: detectHost(),
    timers: unrefTimers,
    fetch: (url, init) => fetch(url, init),
    now: () => Date.now(),
    random: () => Math.random(),
    uptimeMs: () => performance.now(),
  };
}
