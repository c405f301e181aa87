/**
 * Where the SDK's messages go. By default warnings and errors go to the
 * console with a `[shm]` prefix, and the rest only when `SHM_TELEMETRY_DEBUG`
 * is set; an application can pass its own logger instead.
 *
 * @module
 */

/**
 * A sink for the SDK's messages, one method a level. `console` is one.
 *
 * @example Sending the SDK's messages to an application's own logger
 * ```ts
 * import { SHMClient, type SHMLogger } from "@shm/sdk";
 *
 * const logger: SHMLogger = {
 *   debug: () => {},
 *   info: (message) => console.info(`telemetry: ${message}`),
 *   warn: (message) => console.warn(`telemetry: ${message}`),
 *   error: (message) => console.error(`telemetry: ${message}`),
 * };
 * const client = new SHMClient({
 *   serverUrl: "https://telemetry.example.com",
 *   appName: "my-app",
 *   appVersion: "1.4.2",
 *   logger,
 * });
 * ```
 */
export interface SHMLogger {
  /** Routine events: a snapshot sent, a retry planned. */
  debug(message: string): void;
  /** Events worth a line: registered, activated, a payload printed in debug mode. */
  info(message: string): void;
  /** Problems the SDK works around: a replaced identity file, a failing provider. */
  warn(message: string): void;
  /** Problems that stop telemetry: a key conflict, a read-only data directory. */
  error(message: string): void;
}

/** The default logger, which also has a way to show a notice that `verbose` does not hide. */
export interface ConsoleLogger extends SHMLogger {
  /** Prints `message` at info level whether or not the logger is verbose. */
  notice(message: string): void;
}

/**
 * The default logger: warnings and errors always, the rest only when
 * `verbose`, and notices always.
 */
export function consoleLogger(verbose: boolean): ConsoleLogger {
  const prefix = (message: string) => `[shm] ${message}`;
  return {
    notice(message) {
      // deno-lint-ignore no-console
      console.info(prefix(message));
    },
    debug(message) {
      // deno-lint-ignore no-console
      if (verbose) console.debug(prefix(message));
    },
    info(message) {
      // deno-lint-ignore no-console
      if (verbose) console.info(prefix(message));
    },
    warn(message) {
      // deno-lint-ignore no-console
      console.warn(prefix(message));
    },
    error(message) {
      // deno-lint-ignore no-console
      console.error(prefix(message));
    },
  };
}

/**
 * Wraps a logger so that a logger that throws never breaks the SDK, and so
 * that a repeated problem is logged once until it clears.
 */
export class OnceLogger {
  #logger: SHMLogger;
  #notice: ((message: string) => void) | undefined;
  #active = new Map<string, string>();

  /**
   * Wraps `logger`. `notice`, when given, is where {@linkcode OnceLogger.notice}
   * goes instead of `logger.info` (the default logger's always-shown line).
   */
  constructor(logger: SHMLogger, notice?: (message: string) => void) {
    this.#logger = logger;
    this.#notice = notice;
  }

  /** Logs a notice meant for the person who runs the application: at info level. */
  notice(message: string): void {
    if (this.#notice === undefined) {
      this.log("info", message);
      return;
    }
    try {
      this.#notice(message);
    } catch {
      // A broken console must not break the host application.
    }
  }

  /** Logs at `level`, whatever came before. */
  log(level: keyof SHMLogger, message: string): void {
    try {
      this.#logger[level](message);
    } catch {
      // A broken logger must not break the host application.
    }
  }

  /**
   * Logs `message` under `key` unless the same key was logged and not cleared
   * since; a new message under the same key is logged again.
   */
  once(key: string, level: keyof SHMLogger, message: string): void {
    if (this.#active.get(key) === message) return;
    this.#active.set(key, message);
    this.log(level, message);
  }

  /** Forgets `key`, so that its problem is logged again if it comes back. */
  clear(key: string): void {
    this.#active.delete(key);
  }
}
