/**
 * A postgres.js pool that never leaves a caller waiting on a database that is
 * gone. An operation (a statement or a transaction) may carry a deadline; at
 * most as many operations run as there are connections, the others wait in
 * line within their deadline; a lost connection or a missed deadline makes a
 * probe on a fresh connection check the server. When the probe gets no
 * answer, the pool is replaced (so no request queues behind a dead socket)
 * and an outage starts: operations fail at once, except one at a time while
 * no probe is out (a trial, so that the first caller after the server's
 * return is served), and a probe every reconnect delay looks for the server.
 * A trial or a probe that succeeds ends the outage.
 */

import type postgres from "postgres";
import { StoreUnavailableError } from "../../errors.ts";
import type { AvailabilityChange } from "./database.ts";
import { type GuardedPoolOptions, openPostgresClient, probePostgres } from "./postgres_clients.ts";
import { classifyPostgresError, describeError } from "./postgres_errors.ts";
import { handlePostgresFaults } from "./postgres_faults.ts";
import { type Operation, operation, type OperationState, wasSent } from "./postgres_operation.ts";
import { waitWithinStoreBudget } from "./request_budget.ts";

interface Waiter {
  start(): void;
  refuse(error: StoreUnavailableError): void;
}

interface Outage {
  readonly since: number;
  cause: string;
  /** Operations refused at once during the outage. */
  refused: number;
  /** Whether an operation is trying the server now. */
  trial: boolean;
  /** Whether a probe is out now. */
  probing: boolean;
}

/**
 * A replaced pool's connections get this many connect timeouts to finish what
 * they run before they are cut; statements cancelled after their deadline get
 * as long to end before their connections are dropped.
 */
const GRACE_IN_CONNECT_TIMEOUTS = 2;

/** Operations over a postgres.js pool, with deadlines, a bounded line and outage detection. */
export class GuardedPool {
  readonly #url: string;
  readonly #options: GuardedPoolOptions;
  #sql: postgres.Sql;
  /** Counts pool replacements; an operation belongs to the pool it started on. */
  #generation = 0;
  #running = 0;
  #waiting: Waiter[] = [];
  /** Operations past their deadline whose queries are still out. */
  readonly #expired = new Set<OperationState>();
  #outage: Outage | null = null;
  #checking = false;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  /** Probes and pools being ended, awaited by close(). */
  readonly #pending = new Set<Promise<unknown>>();
  readonly #listeners = new Set<(change: AvailabilityChange) => void>();
  #closed = false;
  readonly #unhandleFaults: () => void;

  /** A pool for the server at `url`; connections are made on first use. */
  constructor(url: string, options: GuardedPoolOptions) {
    this.#url = url;
    this.#options = options;
    this.#sql = openPostgresClient(this.#url, this.#options);
    this.#unhandleFaults = handlePostgresFaults(() => {
      if (!this.#closed) this.#retire();
    });
  }

  /**
   * Runs `work` on a connection of the pool and resolves with its result.
   * Rejects with `StoreUnavailableError` at once during an outage (unless it
   * runs as the outage's trial), and when `deadlineMs` passes (waiting in
   * line included) before `work` settles; with a deadline, also when the
   * request's budget runs out (see `request_budget.ts`). Errors of `work`
   * are classified (see `classifyPostgresError`).
   */
  run<T>(
    work: (sql: postgres.Sql, operation: Operation) => Promise<T>,
    deadlineMs: number | null,
  ): Promise<T> {
    if (deadlineMs === null) return this.#run(work, null);
    return waitWithinStoreBudget((leftMs) =>
      this.#run(work, leftMs === null ? deadlineMs : Math.min(deadlineMs, Math.ceil(leftMs)))
    );
  }

  #run<T>(
    work: (sql: postgres.Sql, operation: Operation) => Promise<T>,
    deadlineMs: number | null,
  ): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new StoreUnavailableError("Cannot query PostgreSQL as it is closed"));
    }
    const trialOf = this.#outage;
    if (trialOf !== null) {
      if (trialOf.trial || trialOf.probing) {
        trialOf.refused++;
        return Promise.reject(outageError(trialOf));
      }
      trialOf.trial = true;
    }
    return new Promise<T>((resolve, reject) => {
      const state: OperationState = { generation: -1, queries: new Set(), expired: false };
      let settled = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = (outcome: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        outcome();
      };
      const waiter: Waiter = {
        start: () => {
          state.generation = this.#generation;
          this.#running++;
          let result: Promise<T>;
          try {
            result = work(this.#sql, operation(state));
          } catch (error) {
            result = Promise.reject(error);
          }
          result.then(
            (value) => {
              this.#finished(state, trialOf);
              settle(() => resolve(value));
            },
            (error) => {
              const failure = this.#finished(state, trialOf, error);
              settle(() => reject(failure));
            },
          );
        },
        refuse: (error) => settle(() => reject(error)),
      };
      if (deadlineMs !== null) {
        timer = setTimeout(() => {
          if (settled) return;
          state.expired = true;
          const queued = this.#waiting.indexOf(waiter);
          if (queued >= 0) {
            // Never started: it is no trial any more, and nothing of it reached the server.
            this.#waiting.splice(queued, 1);
            if (trialOf !== null) trialOf.trial = false;
            this.#suspect(`no connection was free within ${deadlineMs} ms`);
          } else {
            this.#expired.add(state);
            this.#suspect(`a statement had no answer within ${deadlineMs} ms`);
          }
          settle(() =>
            reject(new StoreUnavailableError(`PostgreSQL gave no answer within ${deadlineMs} ms`))
          );
        }, deadlineMs);
      }
      if (this.#running < this.#options.maxConnections) waiter.start();
      else this.#waiting.push(waiter);
    });
  }

  /** Calls `listener` on each outage and each recovery; returns a function that stops it. */
  onAvailabilityChange(listener: (change: AvailabilityChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Refuses new operations, waits up to 5 s for those running, and ends every connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unhandleFaults();
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    const closed = new StoreUnavailableError("Cannot query PostgreSQL as it is closed");
    for (const waiter of this.#waiting.splice(0)) waiter.refuse(closed);
    await this.#sql.end({ timeout: 5 });
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  /**
   * Books the end of an operation (the trial of the outage `trialOf`, when it
   * is not null); returns its error classified.
   */
  #finished(state: OperationState, trialOf: Outage | null, error?: unknown): unknown {
    this.#expired.delete(state);
    if (state.generation === this.#generation) {
      this.#running--;
      this.#startWaiting();
    }
    if (trialOf !== null) {
      trialOf.trial = false;
      if (error === undefined) this.#endOutage(trialOf);
    }
    if (error === undefined) return undefined;
    const classified = classifyPostgresError(error);
    if (classified.lost) this.#suspect(describeError(classified.error));
    return classified.error;
  }

  #startWaiting(): void {
    while (this.#running < this.#options.maxConnections && this.#waiting.length > 0) {
      this.#waiting.shift()?.start();
    }
  }

  /**
   * Something went wrong that a dead server would explain: probe it on a
   * fresh connection. Gone: an outage starts. Answering: the statements past
   * their deadline are cancelled, and if they still hang a little later, their
   * connections are dropped with the pool.
   */
  #suspect(cause: string): void {
    if (this.#checking || this.#outage !== null || this.#closed) return;
    this.#checking = true;
    const generation = this.#generation;
    this.#hold(
      this.#probe().then((problem) => {
        this.#checking = false;
        if (this.#closed || this.#outage !== null || generation !== this.#generation) return;
        if (problem !== null) return this.#startOutage(`${cause}; a new connection: ${problem}`);
        const hanging = [...this.#expired];
        for (const state of hanging) {
          for (const query of state.queries) {
            if (wasSent(query)) void Promise.resolve(query.cancel()).catch(() => {});
          }
        }
        if (hanging.length === 0) return;
        this.#later(GRACE_IN_CONNECT_TIMEOUTS * this.#options.connectTimeoutMs, () => {
          if (generation !== this.#generation) return;
          if (hanging.some((state) => this.#expired.has(state))) this.#retire();
        });
      }),
    );
  }

  #startOutage(cause: string): void {
    const outage: Outage = {
      since: performance.now(),
      cause,
      refused: 0,
      trial: false,
      probing: false,
    };
    this.#outage = outage;
    const error = outageError(outage);
    for (const waiter of this.#waiting.splice(0)) {
      outage.refused++;
      waiter.refuse(error);
    }
    this.#retire();
    this.#emit({ available: false, cause });
    this.#probeLater(outage);
  }

  /** Probes the server a reconnect delay from now, and after each failed probe, while `outage` lasts. */
  #probeLater(outage: Outage): void {
    this.#later(this.#options.reconnectDelayMs, () => {
      if (this.#outage !== outage) return;
      outage.probing = true;
      this.#hold(
        this.#probe().then((problem) => {
          outage.probing = false;
          if (this.#closed || this.#outage !== outage) return;
          if (problem === null) return this.#endOutage(outage);
          outage.cause = problem;
          this.#probeLater(outage);
        }),
      );
    });
  }

  #endOutage(outage: Outage): void {
    if (this.#outage !== outage) return;
    this.#outage = null;
    this.#emit({
      available: true,
      unavailableMs: Math.round(performance.now() - outage.since),
      refused: outage.refused,
    });
  }

  /** Probes the server on a fresh connection: null when it answers, else why not. */
  #probe(): Promise<string | null> {
    return probePostgres(this.#url, {
      connectTimeoutMs: this.#options.connectTimeoutMs,
      onEnding: (ending) => this.#hold(ending),
    });
  }

  /**
   * Puts a new pool in place of the current one. Operations running on the
   * old one get a short grace to finish; then its connections are cut, which
   * fails whatever still hangs on them.
   */
  #retire(): void {
    const old = this.#sql;
    this.#generation++;
    this.#running = 0;
    this.#expired.clear();
    this.#sql = openPostgresClient(this.#url, this.#options);
    const graceSeconds = GRACE_IN_CONNECT_TIMEOUTS * this.#options.connectTimeoutMs / 1000;
    this.#hold(old.end({ timeout: graceSeconds }).catch(() => {}));
    this.#startWaiting();
  }

  #emit(change: AvailabilityChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch { /* a listener's fault is its own */ }
    }
  }

  /** Runs `task` after `ms` unless the pool is closed first; the timer keeps no process alive. */
  #later(ms: number, task: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#closed) task();
    }, ms);
    Deno.unrefTimer(timer);
    this.#timers.add(timer);
  }

  #hold(promise: Promise<unknown>): void {
    this.#pending.add(promise);
    void promise.finally(() => this.#pending.delete(promise));
  }
}

function outageError(outage: Outage): StoreUnavailableError {
  return new StoreUnavailableError(`PostgreSQL is unavailable: ${outage.cause}`);
}
