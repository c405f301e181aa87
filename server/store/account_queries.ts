/** Dashboard accounts: users, browser sessions (by token hash) and API tokens. */

import { type Database, sql } from "./drivers/database.ts";

/** A user as sign-in needs it. */
export interface UserCredentials {
  readonly id: number;
  readonly username: string;
  readonly passwordHash: string;
}

/** Who a session or token belongs to. */
export interface SessionUser {
  readonly userId: number;
  readonly username: string;
  readonly expiresAt: Date;
}

/** How many accounts exist. */
export async function countUsers(db: Database): Promise<number> {
  const [row] = await db.query<{ n: number }>(sql`select count(*)::int as n from users`);
  return row?.n ?? 0;
}

/**
 * Creates the first account, in one statement that inserts only while no
 * account exists: several servers starting at once make at most one.
 * Returns whether this call created it.
 */
export async function insertFirstUser(
  db: Database,
  user: { username: string; passwordHash: string; createdAt: Date },
): Promise<boolean> {
  const rows = await db.query(sql`
    insert into users (username, password_hash, created_at)
    select ${user.username}, ${user.passwordHash}, ${user.createdAt}
    where not exists (select 1 from users)
    on conflict (username) do nothing
    returning id`);
  return rows.length === 1;
}

/** Creates an account; returns its id, or null when the username is taken. */
export async function insertUser(
  db: Database,
  user: { username: string; passwordHash: string; createdAt: Date },
): Promise<number | null> {
  const [row] = await db.query<{ id: number }>(sql`
    insert into users (username, password_hash, created_at)
    values (${user.username}, ${user.passwordHash}, ${user.createdAt})
    on conflict (username) do nothing
    returning id`);
  return row?.id ?? null;
}

/** Finds an account by username; null when there is none. */
export async function findUserCredentials(
  db: Database,
  username: string,
): Promise<UserCredentials | null> {
  const [row] = await db.query<UserCredentials>(sql`
    select id, username, password_hash as "passwordHash" from users where username = ${username}`);
  return row ?? null;
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

/** The user of an unexpired session, by token hash; null when it is unknown or expired at `now`. */
export async function findSessionUser(
  db: Database,
  options: { tokenHash: Uint8Array; now: Date },
): Promise<SessionUser | null> {
  const [row] = await db.query<SessionUser>(sql`
    select u.id as "userId", u.username, s.expires_at as "expiresAt"
    from sessions s join users u on u.id = s.user_id
    where s.token_hash = ${options.tokenHash} and s.expires_at > ${options.now}`);
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
