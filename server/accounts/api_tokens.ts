/**
 * API tokens. A token is 32 random bytes shown once at creation; the
 * database keeps only its SHA-256, which is enough for a high-entropy secret
 * (no slow hash is needed, unlike passwords). A token has a scope (`read` or
 * `write`), may expire, and can do at most what its holder's role allows.
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
import type { Role, TokenScope } from "./roles.ts";
import { randomToken, tokenHash } from "./sessions.ts";
import type { ApiTokenView } from "./views.ts";

/** What an API token looks like: a prefix that says what it is, then 43 base64url characters. */
const API_TOKEN_SHAPE = /^shm_[A-Za-z0-9_-]{43}$/;

/** The longest life a token may be given, in days (ten years). */
export const MAX_TOKEN_DAYS = 3650;

/**
 * Creates an API token named `name` for user `userId` (null: made with
 * `SHM_ADMIN_TOKEN`, an admin's), with `scope` (default `write`) and, with
 * `expiresInDays` (1 to {@linkcode MAX_TOKEN_DAYS}, checked by the caller),
 * an expiry that many days after `now`. Recorded in the audit log as done
 * by `actor` in the same transaction; returns its id and the token itself,
 * which is stored only as a hash and cannot be shown again.
 */
export async function createApiToken(
  db: Database,
  options: {
    userId: number | null;
    name: string;
    now: Date;
    actor: string;
    scope?: TokenScope;
    expiresInDays?: number;
  },
): Promise<{ id: number; token: string; expiresAt: Date | null }> {
  const token = `shm_${randomToken()}`;
  const hash = await tokenHash(token);
  const scope = options.scope ?? "write";
  const expiresAt = options.expiresInDays === undefined
    ? null
    : new Date(options.now.getTime() + options.expiresInDays * 86_400_000);
  const id = await withAuditEntry(
    db,
    (tx) =>
      insertApiToken(tx, {
        userId: options.userId,
        name: options.name,
        tokenHash: hash,
        createdAt: options.now,
        scope,
        expiresAt,
      }),
    (id) => ({
      at: options.now,
      actor: options.actor,
      action: "api_token.create",
      target: options.name,
      detail: { id, scope, expires_at: expiresAt?.toISOString() ?? null },
    }),
  );
  return { id, token, expiresAt };
}

/** Who holds a token and what it may do, once it is found live. */
export interface TokenHolder {
  /** The account holding it; null for a token made with `SHM_ADMIN_TOKEN`. */
  readonly userId: number | null;
  readonly name: string;
  readonly scope: TokenScope;
  /** The holder's role (an admin's for a token made with `SHM_ADMIN_TOKEN`). */
  readonly role: Role;
}

/**
 * The holder of token `token`, noting its use at `now`: `{ kind: "live" }`
 * with the holder, `{ kind: "expired" }` for a token past its expiry (not
 * noted), or null for a revoked, unknown or malformed token, or one whose
 * account is disabled.
 */
export async function apiTokenHolder(
  db: Database,
  token: string,
  now: Date,
): Promise<({ kind: "live" } & TokenHolder) | { kind: "expired"; name: string } | null> {
  if (!API_TOKEN_SHAPE.test(token)) return null;
  return await useApiToken(db, { tokenHash: await tokenHash(token), now });
}

/** The id of the user whose live token `token` is, noting its use at `now`; else null. */
export async function apiTokenUser(db: Database, token: string, now: Date): Promise<number | null> {
  const holder = await apiTokenHolder(db, token, now);
  return holder?.kind === "live" ? holder.userId : null;
}

/** User `userId`'s API tokens (every token when null), newest first, revoked ones included. */
export async function userApiTokens(
  db: Database,
  userId: number | null,
): Promise<ApiTokenView[]> {
  const rows = await listApiTokens(db, userId);
  return rows.map((row) => ({ ...row }));
}

/**
 * Revokes token `id` at `now` if user `userId` holds it (any token when
 * `userId` is null, as an admin may), recorded in the audit log as done by
 * `actor` in the same transaction; returns whether a live token was revoked
 * (nothing is recorded otherwise).
 */
export async function revokeUserApiToken(
  db: Database,
  options: { id: number; userId: number | null; now: Date; actor: string },
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
