/**
 * API tokens. A token is 32 random bytes shown once at creation; the
 * database keeps only its SHA-256, which is enough for a high-entropy secret
 * (no slow hash is needed, unlike passwords).
 */

import {
  anyLiveApiToken,
  type Database,
  insertApiToken,
  listApiTokens,
  revokeApiToken,
  useApiToken,
  withAuditEntry,
} from "../store/mod.ts";
import { randomToken, tokenHash } from "./sessions.ts";
import type { ApiTokenView } from "./views.ts";

/** What an API token looks like: a prefix that says what it is, then 43 base64url characters. */
const API_TOKEN_SHAPE = /^shm_[A-Za-z0-9_-]{43}$/;

/**
 * Creates an API token named `name` for user `userId`, recorded in the audit
 * log as done by `actor` in the same transaction; returns its id and the
 * token itself, which is stored only as a hash and cannot be shown again.
 */
export async function createApiToken(
  db: Database,
  options: { userId: number; name: string; now: Date; actor: string },
): Promise<{ id: number; token: string }> {
  const token = `shm_${randomToken()}`;
  const hash = await tokenHash(token);
  const id = await withAuditEntry(
    db,
    (tx) =>
      insertApiToken(tx, {
        userId: options.userId,
        name: options.name,
        tokenHash: hash,
        createdAt: options.now,
      }),
    (id) => ({
      at: options.now,
      actor: options.actor,
      action: "api_token.create",
      target: options.name,
      detail: { id },
    }),
  );
  return { id, token };
}

/**
 * The id of the user whose live token `token` is, noting its use at `now`;
 * null for a revoked, unknown or malformed token.
 */
export async function apiTokenUser(db: Database, token: string, now: Date): Promise<number | null> {
  return (await apiTokenHolder(db, token, now))?.userId ?? null;
}

/**
 * The user whose live token `token` is and the token's name (what the audit
 * log names it by), noting its use at `now`; null for a revoked, unknown or
 * malformed token.
 */
export async function apiTokenHolder(
  db: Database,
  token: string,
  now: Date,
): Promise<{ userId: number; name: string } | null> {
  if (!API_TOKEN_SHAPE.test(token)) return null;
  return await useApiToken(db, { tokenHash: await tokenHash(token), now });
}

/** User `userId`'s API tokens, newest first, revoked ones included. */
export async function userApiTokens(db: Database, userId: number): Promise<ApiTokenView[]> {
  const rows = await listApiTokens(db, userId);
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  }));
}

/**
 * Revokes token `id` of user `userId` at `now`, recorded in the audit log as
 * done by `actor` in the same transaction; returns whether a live token was
 * revoked (false for another user's token, a revoked or an unknown one, and
 * nothing is recorded then).
 */
export async function revokeUserApiToken(
  db: Database,
  options: { id: number; userId: number; now: Date; actor: string },
): Promise<boolean> {
  const name = await withAuditEntry(
    db,
    (tx) => revokeApiToken(tx, options),
    (name) =>
      name === null ? null : {
        at: options.now,
        actor: options.actor,
        action: "api_token.revoke",
        target: name,
        detail: { id: options.id },
      },
  );
  return name !== null;
}

/** Whether anyone holds a live API token: with no admin token set, the admin API is off without one. */
export async function apiTokensExist(db: Database): Promise<boolean> {
  return await anyLiveApiToken(db);
}
