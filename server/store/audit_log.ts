/**
 * The audit log: who changed what and when. Rows are only added, each in the
 * transaction of the change it records (see {@linkcode withAuditEntry}).
 */

import { type Database, sql } from "./drivers/database.ts";
import { storedJsonObject } from "./json_object.ts";

/** One line of the audit log, as written and as read. */
export interface AuditEntry {
  readonly at: Date;
  /** A username, `admin token`, `api token NAME`, `cli`, `setup link` or `startup`. */
  readonly actor: string;
  /** What was done, as `thing.verb`: `instance.revoke`, `api_token.create`… */
  readonly action: string;
  /** What it was done to: an instance id, an application slug, a username, a token's name. */
  readonly target: string;
  /** What more there is to say (before and after values, a name), a JSON object. */
  readonly detail: Readonly<Record<string, unknown>>;
}

/** Adds one line to the audit log. */
export async function insertAuditEntry(db: Database, entry: AuditEntry): Promise<void> {
  await db.query(sql`
    insert into audit_log (at, actor, action, target, detail)
    values (${entry.at}, ${entry.actor}, ${entry.action}, ${entry.target},
      ${JSON.stringify(entry.detail)}::text::jsonb)`);
}

/**
 * Runs `work` and writes the audit entry `entryFor` makes of its result in
 * the same transaction, so that the change and its record are committed
 * together or not at all; when `entryFor` answers null (nothing changed),
 * nothing is recorded. Returns `work`'s result.
 */
export async function withAuditEntry<T>(
  db: Database,
  work: (tx: Database) => Promise<T>,
  entryFor: (result: T) => AuditEntry | null,
): Promise<T> {
  return await db.transaction(async (tx) => {
    const result = await work(tx);
    const entry = entryFor(result);
    if (entry !== null) await insertAuditEntry(tx, entry);
    return result;
  });
}

/** The newest `limit` lines of the audit log, newest first (ties: the later written first). */
export async function listAuditEntries(db: Database, limit: number): Promise<AuditEntry[]> {
  const rows = await db.query<Omit<AuditEntry, "detail"> & { detail: unknown }>(sql`
    select at, actor, action, target, detail
    from audit_log order by at desc, id desc limit ${limit}`);
  return rows.map((row) => ({
    at: new Date(row.at),
    actor: row.actor,
    action: row.action,
    target: row.target,
    detail: storedJsonObject(row.detail),
  }));
}
