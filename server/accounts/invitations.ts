/**
 * Invitations: an admin names a username and a role and gets a one-time
 * link (`/invite?token=…`, valid {@linkcode INVITE_TTL_MS}); whoever opens it
 * chooses the password, which makes the account and signs it in. Only the
 * SHA-256 of the link's token is stored.
 */

import {
  type Database,
  findInvite,
  insertAuditEntry,
  insertUser,
  takeInvite,
  upsertInvite,
  withAuditEntry,
} from "../store/mod.ts";
import { hashPassword } from "./password_hash.ts";
import type { Role } from "./roles.ts";
import { randomToken, tokenHash } from "./sessions.ts";

/** How long an invitation link works: 7 days. */
export const INVITE_TTL_MS = 7 * 86_400_000;

/** What a link's token looks like: 43 base64url characters. */
const INVITE_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Invites `username` (checked by the caller with `isUsername`) as `role`,
 * replacing a pending invitation of that name; recorded in the audit log
 * (`account.invite`) as done by `actor` at `now`. `invitedBy` is the
 * inviting account (null for `SHM_ADMIN_TOKEN`). Returns the link's token,
 * shown once, or `exists` when an account has that name (nothing recorded).
 */
export async function inviteAccount(
  db: Database,
  invite: { username: string; role: Role; now: Date; actor: string; invitedBy: number | null },
): Promise<{ kind: "invited"; token: string; expiresAt: Date } | { kind: "exists" }> {
  const token = randomToken();
  const expiresAt = new Date(invite.now.getTime() + INVITE_TTL_MS);
  const stored = await withAuditEntry(
    db,
    async (tx) =>
      await upsertInvite(tx, {
        username: invite.username,
        role: invite.role,
        tokenHash: await tokenHash(token),
        createdAt: invite.now,
        expiresAt,
        invitedBy: invite.invitedBy,
      }),
    (stored) =>
      stored
        ? {
          at: invite.now,
          actor: invite.actor,
          action: "account.invite",
          target: invite.username,
          detail: { role: invite.role, expires_at: expiresAt.toISOString() },
        }
        : null,
  );
  return stored ? { kind: "invited", token, expiresAt } : { kind: "exists" };
}

/** The username and role link token `token` invites at `now`; null for an unknown, used or expired link. */
export async function invitationFor(
  db: Database,
  token: string,
  now: Date,
): Promise<{ username: string; role: Role } | null> {
  if (!INVITE_TOKEN_SHAPE.test(token)) return null;
  return await findInvite(db, { tokenHash: await tokenHash(token), now });
}

/**
 * Accepts the invitation of link token `token` at `now` with `password`
 * (checked by the caller with `passwordProblem`): in one transaction the
 * invitation is used up, the account made with its role, and the audit log
 * says so (`account.create` by `invite link`). Returns the new account's id
 * and name, `invalid` for an unknown, used or expired link, or `exists` when
 * the name was taken meanwhile (the invitation stays then).
 */
export async function acceptInvite(
  db: Database,
  accept: { token: string; password: string; now: Date },
): Promise<
  { kind: "created"; userId: number; username: string } | { kind: "invalid" } | { kind: "exists" }
> {
  if (!INVITE_TOKEN_SHAPE.test(accept.token)) return { kind: "invalid" };
  const hash = await tokenHash(accept.token);
  const passwordHash = await hashPassword(accept.password);
  try {
    return await db.transaction(async (tx) => {
      const invite = await takeInvite(tx, { tokenHash: hash, now: accept.now });
      if (invite === null) return { kind: "invalid" as const };
      const userId = await insertUser(tx, {
        username: invite.username,
        passwordHash,
        createdAt: accept.now,
        role: invite.role,
      });
      // Thrown so that the transaction rolls back and the invitation stays.
      if (userId === null) throw new NameTaken();
      await insertAuditEntry(tx, {
        at: accept.now,
        actor: "invite link",
        action: "account.create",
        target: invite.username,
        detail: { role: invite.role },
      });
      return { kind: "created" as const, userId, username: invite.username };
    });
  } catch (error) {
    if (error instanceof NameTaken) return { kind: "exists" };
    throw error;
  }
}

class NameTaken extends Error {}
