/** Which PostgreSQL and postgres.js errors mean "the database cannot serve us now". */

import { StoreUnavailableError } from "../../errors.ts";

/**
 * SQLSTATEs of a server that is going away or cannot take us now (admin, crash
 * and "cannot connect now" shutdowns, too many connections, out of resources).
 */
const LOST_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300", "53000"]);

/** SQLSTATE of a statement cancelled on request (ours, after its deadline) or by a statement timeout. */
const CANCELLED_SQLSTATE = "57014";

/** Driver and socket error codes that mean the connection failed or was never made. */
const LOST_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);

/** An error as the store reports it, and whether it says the connection to the server was lost. */
export interface ClassifiedError {
  /** A {@linkcode StoreUnavailableError} for an unavailable server, else the error unchanged. */
  readonly error: unknown;
  /** True when the server could not be reached or dropped us: worth checking whether it is gone. */
  readonly lost: boolean;
}

/**
 * Classifies an error thrown by postgres.js: a failed or dropped connection,
 * a server shutting down or full, and a cancelled statement become a
 * {@linkcode StoreUnavailableError} (HTTP 503); anything else (a constraint,
 * a syntax error, a deadlock) is returned unchanged.
 */
export function classifyPostgresError(error: unknown): ClassifiedError {
  if (error instanceof StoreUnavailableError) return { error, lost: false };
  if (typeof error !== "object" || error === null) return { error, lost: false };
  const code = String((error as { code?: unknown }).code ?? "");
  const message = error instanceof Error ? error.message : code;
  if (
    LOST_ERROR_CODES.has(code) || LOST_SQLSTATES.has(code) || code.startsWith("08") ||
    error instanceof Deno.errors.ConnectionRefused || error instanceof Deno.errors.ConnectionReset
  ) {
    return {
      error: new StoreUnavailableError(`PostgreSQL is unavailable: ${message}`, { cause: error }),
      lost: true,
    };
  }
  if (code === CANCELLED_SQLSTATE) {
    return {
      error: new StoreUnavailableError(`PostgreSQL cancelled the statement: ${message}`, {
        cause: error,
      }),
      lost: false,
    };
  }
  return { error, lost: false };
}

/** The SQLSTATE or driver code of `error`, if it has one. */
export function errorCode(error: unknown): string {
  if (typeof error !== "object" || error === null) return "";
  return String((error as { code?: unknown }).code ?? "");
}

/** A one-line description of `error` for a log line or another error's message. */
export function describeError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0] ?? text;
}
