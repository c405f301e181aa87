/** The PostgreSQL server driver, on postgres.js behind a {@linkcode GuardedPool}. */

import type postgres from "postgres";
import type { Database, SqlQuery } from "./database.ts";
import { classifyPostgresError } from "./postgres_errors.ts";
import type { Operation } from "./postgres_operation.ts";
import { GuardedPool } from "./postgres_pool.ts";

/** Default longest wait for a connection to be ready (TCP, TLS and sign-in). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 1_000;

/** Fixed pause before a closed connection is made again, and between probes during an outage. */
export const RECONNECT_DELAY_MS = 250;

/** Options of the PostgreSQL driver. */
export interface PostgresOptions {
  /** Connections in the pool, and statements or transactions running at once (default 10). */
  maxConnections?: number;
  /** Longest wait for a connection before the store counts as unavailable (default 1 s). */
  connectTimeoutMs?: number;
  /** Pause before reconnecting and between probes of a server that is gone (default 250 ms). */
  reconnectDelayMs?: number;
  /** Whether statements are prepared on the server (default true; false behind PgBouncer's transaction mode). */
  prepare?: boolean;
}

/**
 * Opens a pool to the PostgreSQL server at `url`. Connections are made on
 * first use and remade after a failure; a server that stops answering is
 * noticed (see {@linkcode GuardedPool}), every call then fails at once with
 * `StoreUnavailableError`, and the server is used again within a reconnect
 * delay of its return, without a restart. Calls have no deadline unless made
 * through {@linkcode Database.withDeadline}.
 */
export function openPostgresDatabase(url: string, options: PostgresOptions = {}): Database {
  const pool = new GuardedPool(url, {
    maxConnections: options.maxConnections ?? 10,
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    reconnectDelayMs: options.reconnectDelayMs ?? RECONNECT_DELAY_MS,
    prepare: options.prepare ?? true,
  });
  return poolDatabase(pool, { deadlineMs: null, prepare: options.prepare ?? true });
}

/**
 * The pool as a {@linkcode Database} whose every call has `deadlineMs` (null:
 * none), its statements prepared on the server if `prepare`.
 */
function poolDatabase(
  pool: GuardedPool,
  options: { deadlineMs: number | null; prepare: boolean },
): Database {
  const { deadlineMs, prepare } = options;
  return {
    kind: "postgres",
    query<Row>(query: SqlQuery): Promise<Row[]> {
      return pool.run((sql, operation) => rows<Row>(sql, operation, query, prepare), deadlineMs);
    },
    execScript(script: string): Promise<void> {
      return pool.run(async (sql, operation) => {
        await operation.send(sql.unsafe(script));
      }, deadlineMs);
    },
    transaction<T>(work: (tx: Database) => Promise<T>): Promise<T> {
      return pool.run(
        (sql, operation) =>
          sql.begin((tx) => work(transactionDatabase(tx, operation, prepare))) as Promise<T>,
        deadlineMs,
      );
    },
    withDeadline(ms: number): Database {
      return poolDatabase(pool, { deadlineMs: ms, prepare });
    },
    onAvailabilityChange(listener) {
      return pool.onAvailabilityChange(listener);
    },
    close(): Promise<void> {
      return pool.close();
    },
  };
}

/** One transaction as a {@linkcode Database}; it lives within its operation's deadline. */
function transactionDatabase(
  tx: postgres.TransactionSql,
  operation: Operation,
  prepare: boolean,
): Database {
  const database: Database = {
    kind: "postgres",
    async query<Row>(query: SqlQuery): Promise<Row[]> {
      try {
        return await rows<Row>(tx, operation, query, prepare);
      } catch (error) {
        throw classifyPostgresError(error).error;
      }
    },
    async execScript(script: string): Promise<void> {
      try {
        await operation.send(tx.unsafe(script));
      } catch (error) {
        throw classifyPostgresError(error).error;
      }
    },
    transaction<T>(work: (tx: Database) => Promise<T>): Promise<T> {
      return work(database);
    },
    withDeadline(): Database {
      return database;
    },
    onAvailabilityChange() {
      return () => {};
    },
    close(): Promise<void> {
      // The transaction ends with its work; the pool is closed through the database that made it.
      return Promise.resolve();
    },
  };
  return database;
}

async function rows<Row>(
  sql: postgres.Sql | postgres.TransactionSql,
  operation: Operation,
  query: SqlQuery,
  prepare: boolean,
): Promise<Row[]> {
  // `unsafe` prepares nothing unless told, whatever the client's own `prepare` says.
  const result = await operation.send(
    sql.unsafe(query.text, withArrayLiterals(query) as postgres.ParameterOrJSON<never>[], {
      prepare,
    }),
  );
  return Array.from(result) as Row[];
}

/**
 * The parameters of `query`, with each array bound to a `$n::type[]` cast
 * written as a PostgreSQL array literal. postgres.js writes arrays with the
 * array types it reads on a new connection (`fetch_types`), and a connection
 * whose start was cut skips that read (porsager/postgres#1223): its arrays
 * would go out as `a,b` and fail as malformed. A literal needs no such read.
 */
export function withArrayLiterals(query: SqlQuery): unknown[] {
  if (!query.params.some(Array.isArray)) return [...query.params];
  const arrayParams = arrayParamsOf(query.text);
  return query.params.map((value, i) =>
    arrayParams.has(i) && Array.isArray(value) ? arrayLiteral(value) : value
  );
}

/** The statements seen so far and their parameters cast to an array type (a bounded memo). */
const arrayParamsByText = new Map<string, ReadonlySet<number>>();

/** How many statements {@linkcode arrayParamsByText} keeps before it starts again. */
const ARRAY_PARAMS_KEPT = 1_000;

/** The indexes of the parameters of `text` cast to an array type (`$n::type[]`). */
function arrayParamsOf(text: string): ReadonlySet<number> {
  let found = arrayParamsByText.get(text);
  if (found === undefined) {
    found = new Set(
      [...text.matchAll(/\$(\d+)::[a-z0-9_ ]+\[\]/gi)].map((match) => Number(match[1]) - 1),
    );
    if (arrayParamsByText.size >= ARRAY_PARAMS_KEPT) arrayParamsByText.clear();
    arrayParamsByText.set(text, found);
  }
  return found;
}

/** `values` as a PostgreSQL array literal: each element quoted and escaped, null as NULL. */
function arrayLiteral(values: readonly unknown[]): string {
  const elements = values.map((value): string => {
    if (value === null || value === undefined) return "NULL";
    if (Array.isArray(value)) return arrayLiteral(value);
    const text = value instanceof Date ? value.toISOString() : String(value);
    return `"${text.replace(/["\\]/g, (character) => `\\${character}`)}"`;
  });
  return `{${elements.join(",")}}`;
}
