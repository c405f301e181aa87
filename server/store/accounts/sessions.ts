/** Browser sessions of dashboard accounts, known by the SHA-256 of their cookie's token. */

import { type Database, sql } from "../drivers/database.ts";
import type { UserRole } from "./users.ts";

/** Who a session or token belongs to. */
export interface SessionUser {
  readonly userId: number;
  readonly username: string;
  readonly role: UserRole;
  readonly expiresAt: Date;
}

/** Stores a new session; `tokenHash` is the SHA-256 of the cookie's token. */
export async function insertSession(
  db: Database,
  session: { tokenHash: Uint8Array; userId: number; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await db.query(sql`
    insert into sessions (token_hash, user_id, created_at, expires_at)
    values (${session.tokenHash}, ${session.userId}, ${session.createdAt}, ${session.expiresAt})`);
}

/**
 * The user of an unexpired session, by token hash; null when it is unknown,
 * expired at `now`, or its account is disabled.
 */
export async function findSessionUser(
  db: Database,
  options: { tokenHash: Uint8Array; now: Date },
): Promise<SessionUser | null> {
  const [row] = await db.query<SessionUser>(sql`
    select u.id as "userId", u.username, u.role, s.expires_at as "expiresAt"
    from sessions s join users u on u.id = s.user_id
    where s.token_hash = ${options.tokenHash} and s.expires_at > ${options.now}
      and u.disabled_at is null`);
  return row ?? null;
}

/** Deletes a session (logout); deleting an unknown one does nothing. */
export async function deleteSession(db: Database, tokenHash: Uint8Array): Promise<void> {
  await db.query(sql`delete from sessions where token_hash = ${tokenHash}`);
}

/** Deletes every session that expired before `now`; returns how many. */
export async function deleteExpiredSessions(db: Database, now: Date): Promise<number> {
  const rows = await db.query(sql`delete from sessions where expires_at <= ${now} returning 1`);
  return rows.length;
}
