/**
 * Test doubles for the SDK's unit tests: timers driven by hand, a host with
 * a chosen environment, and a logger that keeps what it is told.
 *
 * @module
 */

import type { EnvRead, FileRead, FileWrite, Host } from "../host.ts";
import type { SHMLogger } from "../log.ts";
import type { TimerHandle, Timers } from "../timers.ts";

/** A timer that the test fires by hand. */
export interface PendingTimer {
  readonly ms: number;
  readonly callback: () => void;
}

/** Timers that never fire by themselves: the test looks at them and fires them. */
export class ManualTimers implements Timers {
  readonly pending: Map<TimerHandle, PendingTimer> = new Map();
  #waiters: ((timer: PendingTimer) => void)[] = [];

  set(callback: () => void, ms: number): TimerHandle {
    const handle: TimerHandle = { id: Symbol("timer") };
    const timer = { ms, callback };
    this.pending.set(handle, timer);
    for (const wake of this.#waiters.splice(0)) wake(timer);
    return handle;
  }

  clear(handle: TimerHandle): void {
    this.pending.delete(handle);
  }

  /** The delays of the pending timers. */
  delays(): number[] {
    return [...this.pending.values()].map((t) => t.ms);
  }

  /** Resolves with the next timer set whose delay `matches` (or one pending already). */
  next(matches: (ms: number) => boolean = () => true): Promise<PendingTimer> {
    const existing = [...this.pending.values()].find((t) => matches(t.ms));
    if (existing !== undefined) return Promise.resolve(existing);
    return new Promise((resolve) => {
      const wait = (timer: PendingTimer) => {
        if (matches(timer.ms)) resolve(timer);
        else this.#waiters.push(wait);
      };
      this.#waiters.push(wait);
    });
  }

  /** Fires the pending timer with delay `ms`, as if that time had passed. */
  fire(ms: number): void {
    for (const [handle, timer] of this.pending) {
      if (timer.ms === ms) {
        this.pending.delete(handle);
        timer.callback();
        return;
      }
    }
    throw new Error(`Cannot fire a timer of ${ms} ms as none is pending: ${this.delays()}`);
  }
}

/** `host` with its environment replaced by `env` (an absent name is unset). */
export function withEnv(host: Host, env: Record<string, string | undefined>): Host {
  return {
    ...host,
    env: (name: string): EnvRead => ({ readable: true, value: env[name] }),
  };
}

/** `host` with chosen file operations failing. */
export function withFailures(
  host: Host,
  failures: {
    readonly read?: FileRead;
    readonly write?: FileWrite;
    readonly remove?: FileWrite;
    readonly envUnreadable?: boolean;
  },
): Host {
  return {
    ...host,
    env: (name) => failures.envUnreadable ? { readable: false } : host.env(name),
    readTextFile: (path) =>
      failures.read === undefined ? host.readTextFile(path) : Promise.resolve(failures.read),
    ensureDir: (path) =>
      failures.write === undefined ? host.ensureDir(path) : Promise.resolve(failures.write),
    writeFileAtomic: (path, text, mode) =>
      failures.write === undefined
        ? host.writeFileAtomic(path, text, mode)
        : Promise.resolve(failures.write),
    removeFile: (path) =>
      failures.remove === undefined ? host.removeFile(path) : Promise.resolve(failures.remove),
  };
}

/** One message a {@linkcode RecordingLogger} was given. */
export interface LogEntry {
  readonly level: keyof SHMLogger;
  readonly message: string;
}

/** A logger that keeps every message. */
export class RecordingLogger implements SHMLogger {
  readonly entries: LogEntry[] = [];
  debug(message: string): void {
    this.entries.push({ level: "debug", message });
  }
  info(message: string): void {
    this.entries.push({ level: "info", message });
  }
  warn(message: string): void {
    this.entries.push({ level: "warn", message });
  }
  error(message: string): void {
    this.entries.push({ level: "error", message });
  }
  /** The messages at `level` that contain `text`. */
  find(level: keyof SHMLogger, text: string): string[] {
    return this.entries.filter((e) => e.level === level && e.message.includes(text)).map((e) =>
      e.message
    );
  }
}
