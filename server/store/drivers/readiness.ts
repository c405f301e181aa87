/** The readiness check's one question to the store. */

import { type Database, sql } from "./database.ts";

/**
 * Resolves when the store answers a trivial query; throws
 * `StoreUnavailableError` when it does not (within the deadline of `db`, if it has one).
 */
export async function checkStoreAnswers(db: Database): Promise<void> {
  await db.query(sql`select 1`);
}
