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
    // The replacer runs for every key: only lines that may hold an error or a bigint pay for it.
    write(
      hasOnlyPlainValues(fields) ? JSON.stringify(line) : JSON.stringify(line, errorReplacer),
      lvl,
    );
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

/** Whether every field is a string, number, boolean, null or undefined: no replacer needed. */
function hasOnlyPlainValues(fields: LogFields | undefined): boolean {
  if (fields === undefined) return true;
  for (const key in fields) {
    const value = fields[key];
    const kind = typeof value;
    if (
      value !== null && kind !== "string" && kind !== "number" && kind !== "boolean" &&
      kind !== "undefined"
    ) {
      return false;
    }
  }
  return true;
}

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

/** Where a {@linkcode LineBuffer} sends its gathered text. */
export interface LineSink {
  /** Writes `text` (whole lines) to standard output. */
  out(text: string): void;
  /** Writes `text` (whole lines) to standard error. */
  err(text: string): void;
}

/** How long a line may wait in a {@linkcode LineBuffer} before it is written. */
const FLUSH_AFTER_MS = 5;

/** Gathered text past which a {@linkcode LineBuffer} writes at once rather than waiting. */
const FLUSH_AT_CHARS = 64 * 1024;

/**
 * Log lines gathered and written together: a line per request written on
 * its own costs a system call each, a noticeable share of a snapshot's
 * time under load. Lines at `info` and below wait at most a few
 * milliseconds and go in one write; an `error` line is written at once,
 * after whatever waits, so nothing is reordered on stdout and errors are
 * never held back. {@linkcode flush} writes what waits; the process's
 * `unload` (its end, `Deno.exit` included) flushes too.
 */
export class LineBuffer implements LineSink {
  readonly #sink: LineSink;
  #pending = "";
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Gathers lines for `sink` (by default this process's stdout and stderr). */
  constructor(sink: LineSink = standardOutput()) {
    this.#sink = sink;
  }

  /** Takes one finished line; suits {@linkcode createLogger}'s `write`. */
  readonly write = (line: string, level: LogLevel): void => {
    if (level === "error") {
      this.flush();
      this.#sink.err(line + "\n");
      return;
    }
    this.#gather(line + "\n");
  };

  /** Takes whole lines already made (another thread's log text) to write with the rest. */
  out(text: string): void {
    this.#gather(text);
  }

  /** Writes whole error lines already made at once, after the lines waiting. */
  err(text: string): void {
    this.flush();
    this.#sink.err(text);
  }

  #gather(text: string): void {
    this.#pending += text;
    if (this.#pending.length >= FLUSH_AT_CHARS) this.flush();
    else if (this.#timer === undefined) {
      const timer = setTimeout(this.flush, FLUSH_AFTER_MS);
      // A waiting line must not keep a finished process alive: `unload` writes it.
      Deno.unrefTimer(timer);
      this.#timer = timer;
    }
  }

  /** Writes every waiting line now. */
  readonly flush = (): void => {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending === "") return;
    const text = this.#pending;
    this.#pending = "";
    this.#sink.out(text);
  };
}

/**
 * Returns the writer for the server's log: a {@linkcode LineBuffer} on this
 * process's standard streams, flushed when the process ends.
 */
export function bufferedConsoleWriter(): LineBuffer {
  const buffer = new LineBuffer();
  globalThis.addEventListener("unload", buffer.flush);
  return buffer;
}

/** This process's stdout and stderr as a {@linkcode LineSink}; a write that fails is dropped. */
export function standardOutput(): LineSink {
  const encoder = new TextEncoder();
  const writeAll = (stream: { writeSync(p: Uint8Array): number }, text: string) => {
    const bytes = encoder.encode(text);
    try {
      for (let done = 0; done < bytes.byteLength;) done += stream.writeSync(bytes.subarray(done));
    } catch {
      // A closed or broken stdout must not stop the server; there is nowhere to report it.
    }
  };
  return {
    out: (text) => writeAll(Deno.stdout, text),
    err: (text) => writeAll(Deno.stderr, text),
  };
}
