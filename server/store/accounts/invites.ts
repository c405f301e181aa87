/** Invitations to make an account: one pending per username, known by the SHA-256 of the link's token. */

import { type Database, sql } from "../drivers/database.ts";
import type { UserRole } from "./users.ts";

/** A pending invitation as the settings page lists it. */
export interface InviteRow {
  readonly username: string;
  readonly role: UserRole;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/**
 * Stores an invitation of `username` with `role`, replacing a pending one of
 * the same username (its old link stops working), in one statement that
 * inserts nothing when an account of that name exists. Returns whether it was stored.
 */
export async function upsertInvite(
  db: Database,
  invite: {
    username: string;
    role: UserRole;
    tokenHash: Uint8Array;
    createdAt: Date;
    expiresAt: Date;
    invitedBy: number | null;
  },
): Promise<boolean> {
  const rows = await db.query(sql`
    insert into invites (username, token_hash, role, created_at, expires_at, invited_by)
    select ${invite.username}, ${invite.tokenHash}, ${invite.role}, ${invite.createdAt},
      ${invite.expiresAt}, ${invite.invitedBy}::integer
    where not exists (select 1 from users where username = ${invite.username})
    on conflict (username) do update set token_hash = excluded.token_hash, role = excluded.role,
      created_at = excluded.created_at, expires_at = excluded.expires_at,
      invited_by = excluded.invited_by
    returning 1`);
  return rows.length === 1;
}

/** The unexpired invitation with token hash `tokenHash` at `now`; null when there is none. */
export async function findInvite(
  db: Database,
  options: { tokenHash: Uint8Array; now: Date },
): Promise<{ username: string; role: UserRole } | null> {
  const [row] = await db.query<{ username: string; role: UserRole }>(sql`
    select username, role from invites
    where token_hash = ${options.tokenHash} and expires_at > ${options.now}`);
  return row ?? null;
}

/**
 * Takes (deletes) the unexpired invitation with token hash `tokenHash` at
 * `now`, so that its link works once; returns its username and role, or null.
 */
export async function takeInvite(
  db: Database,
  options: { tokenHash: Uint8Array; now: Date },
): Promise<{ username: string; role: UserRole } | null> {
  const [row] = await db.query<{ username: string; role: UserRole }>(sql`
    delete from invites where token_hash = ${options.tokenHash} and expires_at > ${options.now}
    returning username, role`);
  return row ?? null;
}

/** The invitations not yet used nor expired at `now`, by username. */
export async function listInvites(db: Database, now: Date): Promise<InviteRow[]> {
  return await db.query<InviteRow>(sql`
    select username, role, created_at as "createdAt", expires_at as "expiresAt"
    from invites where expires_at > ${now} order by username`);
}
