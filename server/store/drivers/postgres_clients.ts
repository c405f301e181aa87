/**
 * The two kinds of postgres.js client the guarded pool (`postgres_pool.ts`) makes: its
 * pool of connections, and a one-connection probe that asks a fresh
 * connection whether the server answers.
 */

import postgres from "postgres";
import { describeError, errorCode } from "./postgres_errors.ts";

/** Sizes and timings of a `GuardedPool`. */
export interface GuardedPoolOptions {
  /** Connections in the pool, and operations running at once. */
  readonly maxConnections: number;
  /** Longest wait for a connection to be ready (TCP, TLS, sign-in). */
  readonly connectTimeoutMs: number;
  /** Fixed pause before a closed connection is made again, and between probes during an outage. */
  readonly reconnectDelayMs: number;
  /**
   * Whether statements are prepared on the server (named, reused per
   * connection); off for a pooler in transaction mode that cannot keep them.
   */
  readonly prepare: boolean;
}

/** A postgres.js pool of connections to the server at `url`, made on first use. */
export function openPostgresClient(url: string, options: GuardedPoolOptions): postgres.Sql {
  const delaySeconds = options.reconnectDelayMs / 1000;
  return postgres(url, {
    max: options.maxConnections,
    connect_timeout: options.connectTimeoutMs / 1000,
    prepare: options.prepare,
    // A short fixed pause, not postgres.js's growing one, so a returning server is used at once.
    backoff: () => delaySeconds,
    idle_timeout: 60,
    onnotice: () => {},
    connection: { application_name: "shm" },
  });
}

/**
 * Asks a new connection to the server at `url` for `select 1`; resolves with
 * null when the server answers (a server that is full answers too), else
 * with why not. Never rejects. The probe's connection is ended afterwards;
 * `onEnding` is given that ending, for whoever waits for it at close.
 */
export async function probePostgres(
  url: string,
  options: { connectTimeoutMs: number; onEnding: (ending: Promise<unknown>) => void },
): Promise<string | null> {
  const client = postgres(url, {
    max: 1,
    connect_timeout: options.connectTimeoutMs / 1000,
    fetch_types: false,
    onnotice: () => {},
    connection: { application_name: "shm" },
  });
  const limitMs = 2 * options.connectTimeoutMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      client`select 1`,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${limitMs} ms`)), limitMs);
      }),
    ]);
    return null;
  } catch (error) {
    return errorCode(error) === "53300" ? null : describeError(error);
  } finally {
    clearTimeout(timer);
    options.onEnding(client.end({ timeout: 0 }).catch(() => {}));
  }
}
