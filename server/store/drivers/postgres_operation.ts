/**
 * One operation of the PostgreSQL pool (a statement or a transaction) as its
 * work sees it: every query it sends is tracked while it runs, so that the
 * pool can cancel it after the deadline, and none is sent once that has passed.
 */

import { StoreUnavailableError } from "../../errors.ts";

/** A query made by postgres.js, as far as the pool needs to know it. */
export interface PendingQuery<R> extends PromiseLike<R> {
  cancel(): unknown;
}

/** What an operation's work uses to send its queries. */
export interface Operation {
  /**
   * Sends `query` as part of this operation and resolves with its result, so
   * that the pool can cancel it after the deadline. Throws
   * `StoreUnavailableError` without sending once the deadline has passed.
   */
  send<R>(query: PendingQuery<R>): Promise<R>;
}

/** The pool's record of one operation. */
export interface OperationState {
  /** The pool the operation runs on; -1 until it starts. */
  generation: number;
  readonly queries: Set<PendingQuery<unknown>>;
  expired: boolean;
}

/** The {@linkcode Operation} whose queries are tracked in `state`. */
export function operation(state: OperationState): Operation {
  return {
    async send<R>(query: PendingQuery<R>): Promise<R> {
      if (state.expired) {
        throw new StoreUnavailableError(
          "Cannot go on as PostgreSQL gave no answer within the deadline",
        );
      }
      state.queries.add(query);
      try {
        return await query;
      } finally {
        state.queries.delete(query);
      }
    },
  };
}

/**
 * Whether postgres.js has written `query` to a connection. Only those are
 * cancelled: in postgres.js 3.4, cancelling a query that still waits for its
 * connection to open leaves that connection stuck, so those are left to run
 * or fail (their caller has had its answer). Reads postgres.js's `state`,
 * which it sets when it writes the query.
 */
export function wasSent(query: PendingQuery<unknown>): boolean {
  const state = (query as unknown as { state?: unknown }).state;
  return state !== null && state !== undefined;
}
