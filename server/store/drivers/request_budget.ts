/**
 * A request's budget of time spent waiting for the database: however many
 * statements a request makes one after another, it waits at most its budget in
 * all, so that a database that stops answering mid-request still gets the
 * request its 503 in time. Waits that overlap count once; time the request
 * spends elsewhere (reading its body, hashing a password) does not count.
 */

import { AsyncLocalStorage } from "node:async_hooks";
import { StoreUnavailableError } from "../../errors.ts";

interface Budget {
  readonly totalMs: number;
  /** Milliseconds left, as of the end of the last wait. */
  leftMs: number;
  /** Waits under way, and since when at least one has been. */
  waiting: number;
  since: number;
}

const current = new AsyncLocalStorage<Budget>();

/**
 * Runs `work` with a budget of `ms` milliseconds of waiting for the store,
 * for every store call `work` makes (through a deadline view, see
 * `Database.withDeadline`) and every snapshot it hands to a `SnapshotWriter`.
 */
export function runWithinStoreBudget<T>(ms: number, work: () => Promise<T>): Promise<T> {
  return current.run({ totalMs: ms, leftMs: ms, waiting: 0, since: 0 }, work);
}

/** Runs `work` outside any request's budget: for work shared by several requests. */
export function outsideStoreBudget<T>(work: () => T): T {
  return current.exit(work);
}

/**
 * Waits for the store within the current budget: `start` gets the
 * milliseconds left (null when there is no budget) and the time until its
 * promise settles is taken from the budget. Throws `StoreUnavailableError`
 * without calling `start` when nothing is left.
 */
export async function waitWithinStoreBudget<T>(
  start: (leftMs: number | null) => Promise<T>,
): Promise<T> {
  const budget = current.getStore();
  if (budget === undefined) return await start(null);
  const now = performance.now();
  const leftMs = budget.leftMs - (budget.waiting > 0 ? now - budget.since : 0);
  if (leftMs <= 0) {
    throw new StoreUnavailableError(
      `Cannot wait for the database any longer: this request waited ${budget.totalMs} ms already`,
    );
  }
  if (budget.waiting++ === 0) budget.since = now;
  try {
    return await start(leftMs);
  } finally {
    if (--budget.waiting === 0) budget.leftMs -= performance.now() - budget.since;
  }
}
