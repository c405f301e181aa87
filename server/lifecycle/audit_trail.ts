/** Reading the audit log, for the settings page and the admin API. */

import { type AuditEntry, type Database, listAuditEntries } from "../store/mod.ts";

export type { AuditEntry };

/** The most lines the audit log is read in one go. */
export const MAX_AUDIT_LINES = 500;

/**
 * The newest `limit` lines of the audit log (1 to {@linkcode MAX_AUDIT_LINES};
 * the caller checks), newest first.
 */
export async function auditTrail(db: Database, limit: number): Promise<AuditEntry[]> {
  return await listAuditEntries(db, limit);
}
