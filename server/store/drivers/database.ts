/**
 * The one database interface both drivers implement, and the `sql` tag that
 * writes queries as SQL text with bound parameters.
 */

/** A query: SQL text with `$1…$n` placeholders and their values. */
export interface SqlQuery {
  readonly text: string;
  readonly params: readonly unknown[];
}

/** Marks queries made by {@linkcode sql}, so that only they are inlined, never a lookalike value. */
const MADE_BY_SQL = new WeakSet<SqlQuery>();

/** A connection to PostgreSQL (a server or the embedded one). */
export interface Database {
  /** Which driver this is, for logs and for the few places the two differ. */
  readonly kind: "postgres" | "embedded";
  /** Runs one statement and returns its rows. Throws `StoreUnavailableError` when the database is unreachable. */
  query<Row>(query: SqlQuery): Promise<Row[]>;
  /** Runs a script of several statements without parameters (migrations). */
  execScript(script: string): Promise<void>;
  /**
   * Runs `work` in one transaction: committed when it resolves, rolled back when it throws. Inside
   * `work`, `tx.transaction` runs in the same transaction.
   */
  transaction<T>(work: (tx: Database) => Promise<T>): Promise<T>;
  /**
   * This database with a deadline: each query, script or transaction run through the result that
   * has no answer within `ms` milliseconds fails with `StoreUnavailableError` at once, and the
   * driver stops it (cancelled on the server, or its connection dropped when the server is gone).
   * A write that timed out may still have been committed; one that resolved always was. The
   * embedded store runs in this process, cannot stop answering, and returns itself.
   */
  withDeadline(ms: number): Database;
  /**
   * Calls `listener` when the database stops answering and again when it answers once more (the
   * embedded store never does); returns a function that stops the calls.
   */
  onAvailabilityChange(listener: (change: AvailabilityChange) => void): () => void;
  /** Closes the connection; waits for queries in flight. */
  close(): Promise<void>;
}

/** The database went away (`available: false`, with why) or came back (with how long it was gone). */
export type AvailabilityChange =
  | { readonly available: false; readonly cause: string }
  | { readonly available: true; readonly unavailableMs: number; readonly refused: number };

/**
 * Tags a template as a query: each `${value}` becomes a bound parameter,
 * never text in the SQL. A nested query is inlined with its parameters.
 *
 * @example
 * ```ts
 * const q = sql`select * from instances where instance_id = ${id}`;
 * // q.text === "select * from instances where instance_id = $1"
 * ```
 */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): SqlQuery {
  let text = strings[0] ?? "";
  const params: unknown[] = [];
  values.forEach((value, i) => {
    if (isSqlQuery(value)) {
      text += value.text.replace(/\$(\d+)/g, (_m, n) => `$${Number(n) + params.length}`);
      params.push(...value.params);
    } else {
      params.push(value);
      text += `$${params.length}`;
    }
    text += strings[i + 1] ?? "";
  });
  const query = { text, params };
  MADE_BY_SQL.add(query);
  return query;
}

function isSqlQuery(value: unknown): value is SqlQuery {
  return typeof value === "object" && value !== null && MADE_BY_SQL.has(value as SqlQuery);
}
