/**
 * Structured logging: one JSON object per line on stdout (stderr for errors),
 * so that journald, Docker and log shippers can read it without parsing prose.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** The fields of one log line besides its time, level and message. */
export type LogFields = Record<string, unknown>;

/** A logger that writes lines at or above its level. */
export interface Logger {
  readonly level: LogLevel;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** Whether `value` names a log level. */
export function isLogLevel(value: string): value is LogLevel {
  return Object.hasOwn(LEVEL_RANK, value);
}

/**
 * Returns a logger writing JSON lines for messages at `level` or above.
 * `write` receives each finished line; by default it goes to the console.
 */
export function createLogger(
  level: LogLevel,
  write: (line: string, level: LogLevel) => void = writeToConsole,
): Logger {
  const min = LEVEL_RANK[level];
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields) => {
    if (LEVEL_RANK[lvl] < min) return;
    const line = { time: new Date().toISOString(), level: lvl, msg, ...fields };
    write(JSON.stringify(line, errorReplacer), lvl);
  };
  return {
    level,
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
  };
}

/** A logger that drops everything, for tests and tools that log nothing. */
export const silentLogger: Logger = createLogger("error", () => {});

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack };
  }
  if (typeof value === "bigint") return value.toString();
  return value;
}

function writeToConsole(line: string, level: LogLevel): void {
  // deno-lint-ignore no-console
  if (level === "error") console.error(line);
  // deno-lint-ignore no-console
  else console.log(line);
}
