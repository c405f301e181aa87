/** Dashboard accounts: who may sign in, with what password hash and role. */

import { type Database, sql } from "../drivers/database.ts";

/** What an account may do, as the `users.role` column holds it (migration 0011). */
export type UserRole = "admin" | "viewer";

/** A user as sign-in needs it. */
export interface UserCredentials {
  readonly id: number;
  readonly username: string;
  readonly passwordHash: string;
  readonly role: UserRole;
  /** Whether an admin disabled the account: it may not sign in. */
  readonly disabled: boolean;
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

/** Creates an account (an admin unless `role` says otherwise); returns its id, or null when the username is taken. */
export async function insertUser(
  db: Database,
  user: { username: string; passwordHash: string; createdAt: Date; role?: UserRole },
): Promise<number | null> {
  const [row] = await db.query<{ id: number }>(sql`
    insert into users (username, password_hash, created_at, role)
    values (${user.username}, ${user.passwordHash}, ${user.createdAt}, ${user.role ?? "admin"})
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
    select id, username, password_hash as "passwordHash", role,
      disabled_at is not null as disabled
    from users where username = ${username}`);
  return row ?? null;
}

/** An account as the settings page and `shm user list` show it. */
export interface UserRow {
  readonly id: number;
  readonly username: string;
  readonly createdAt: Date;
  readonly role: UserRole;
  readonly disabledAt: Date | null;
}

/** Every account, by username. */
export async function listUsers(db: Database): Promise<UserRow[]> {
  return await db.query<UserRow>(sql`
    select id, username, created_at as "createdAt", role, disabled_at as "disabledAt"
    from users order by username`);
}

/**
 * Sets account `username`'s password hash and ends its sessions except
 * `keepSessionHash` (the session making the change, if any), in one
 * transaction. Returns whether the account exists.
 */
export async function updatePasswordHash(
  db: Database,
  options: { username: string; passwordHash: string; keepSessionHash?: Uint8Array },
): Promise<boolean> {
  return await db.transaction(async (tx) => {
    const [row] = await tx.query<{ id: number }>(sql`
      update users set password_hash = ${options.passwordHash}
      where username = ${options.username} returning id`);
    if (row === undefined) return false;
    const keep = options.keepSessionHash ?? new Uint8Array(32);
    await tx.query(sql`delete from sessions where user_id = ${row.id} and token_hash <> ${keep}`);
    return true;
  });
}
