/** The PostgreSQL server driver, on postgres.js. */

import postgres from "postgres";
import { StoreUnavailableError } from "../errors.ts";
import type { Database, SqlQuery } from "./database.ts";

/** SQLSTATE classes and codes that mean "the server cannot serve us now", not "the query is wrong". */
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300", "53000"]);

/** Driver and socket error codes that mean the connection failed. */
const UNAVAILABLE_ERROR_CODES = new Set([
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

/** Options of the PostgreSQL driver. */
export interface PostgresOptions {
  /** Connections in the pool (default 10). */
  maxConnections?: number;
  /** Seconds to wait for a connection before the store counts as unavailable (default 5). */
  connectTimeoutSeconds?: number;
}

/**
 * Opens a pool to the PostgreSQL server at `url`. Connections are made on
 * first use and remade after a failure, so a database that comes back is
 * used again without a restart.
 */
export function openPostgresDatabase(url: string, options: PostgresOptions = {}): Database {
  const pool = postgres(url, {
    max: options.maxConnections ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 5,
    idle_timeout: 60,
    onnotice: () => {},
    connection: { application_name: "shm" },
  });
  return wrap(pool, pool);
}

type Connection = postgres.Sql | postgres.TransactionSql;

function wrap(pool: postgres.Sql, connection: Connection): Database {
  return {
    kind: "postgres",
    async query<Row>(query: SqlQuery): Promise<Row[]> {
      try {
        const rows = await connection.unsafe(
          query.text,
          query.params as postgres.ParameterOrJSON<never>[],
        );
        return Array.from(rows) as Row[];
      } catch (error) {
        throw classify(error);
      }
    },
    async execScript(script: string): Promise<void> {
      try {
        await connection.unsafe(script);
      } catch (error) {
        throw classify(error);
      }
    },
    async transaction<T>(work: (tx: Database) => Promise<T>): Promise<T> {
      try {
        return await pool.begin((tx) => work(wrap(pool, tx))) as T;
      } catch (error) {
        throw classify(error);
      }
    },
    async close(): Promise<void> {
      await pool.end({ timeout: 5 });
    },
  };
}

/** Turns connection failures into {@linkcode StoreUnavailableError}; other errors pass unchanged. */
function classify(error: unknown): unknown {
  if (error instanceof StoreUnavailableError) return error;
  if (typeof error === "object" && error !== null) {
    const code = String((error as { code?: unknown }).code ?? "");
    if (
      UNAVAILABLE_ERROR_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) ||
      code.startsWith("08") || error instanceof Deno.errors.ConnectionRefused ||
      error instanceof Deno.errors.ConnectionReset
    ) {
      const message = error instanceof Error ? error.message : code;
      return new StoreUnavailableError(`PostgreSQL is unavailable: ${message}`, { cause: error });
    }
  }
  return error;
}
