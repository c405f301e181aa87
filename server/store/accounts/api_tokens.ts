/** API tokens, known by their SHA-256: create, list, revoke, use. */

import { type Database, sql } from "../drivers/database.ts";
import type { UserRole } from "./users.ts";

/** What a token may do: `read` (GET only) or `write`. */
export type TokenScope = "read" | "write";

/** An API token as the settings page and the admin API list it (never its hash). */
export interface ApiTokenRow {
  readonly id: number;
  readonly name: string;
  readonly scope: TokenScope;
  /** The account holding it; null for a token made with `SHM_ADMIN_TOKEN`. */
  readonly username: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

/**
 * Stores a new API token of user `userId` (null: made with `SHM_ADMIN_TOKEN`);
 * `tokenHash` is the SHA-256 of the token. Returns its id.
 */
export async function insertApiToken(
  db: Database,
  token: {
    userId: number | null;
    name: string;
    tokenHash: Uint8Array;
    createdAt: Date;
    scope?: TokenScope;
    expiresAt?: Date | null;
  },
): Promise<number> {
  const [row] = await db.query<{ id: number }>(sql`
    insert into api_tokens (user_id, name, token_hash, created_at, scope, expires_at)
    values (${token.userId}::integer, ${token.name}, ${token.tokenHash}, ${token.createdAt},
      ${token.scope ?? "write"}, ${token.expiresAt ?? null}::timestamptz)
    returning id`);
  if (row === undefined) throw new Error("insert into api_tokens returned no row");
  return row.id;
}

/** User `userId`'s API tokens (every token when null), newest first, revoked ones included. */
export async function listApiTokens(db: Database, userId: number | null): Promise<ApiTokenRow[]> {
  return await db.query<ApiTokenRow>(sql`
    select t.id, t.name, t.scope, u.username, t.created_at as "createdAt",
      t.expires_at as "expiresAt", t.last_used_at as "lastUsedAt", t.revoked_at as "revokedAt"
    from api_tokens t left join users u on u.id = t.user_id
    where ${userId}::integer is null or t.user_id = ${userId}::integer
    order by t.created_at desc, t.id desc`);
}

/**
 * Revokes token `id` at `now`, only if user `userId` holds it (any holder
 * when `userId` is null); returns its name, or null when no live token was revoked.
 */
export async function revokeApiToken(
  db: Database,
  options: { id: number; userId: number | null; now: Date },
): Promise<string | null> {
  const [row] = await db.query<{ name: string }>(sql`
    update api_tokens set revoked_at = ${options.now}
    where id = ${options.id} and revoked_at is null
      and (${options.userId}::integer is null or user_id = ${options.userId}::integer)
    returning name`);
  return row?.name ?? null;
}

/** Whether any API token is live (not revoked), whoever holds it. */
export async function anyLiveApiToken(db: Database): Promise<boolean> {
  const [row] = await db.query<{ live: boolean }>(
    sql`select exists (select 1 from api_tokens where revoked_at is null) as live`,
  );
  return row?.live === true;
}

/** What using a token found: its holder and what it may do, or that it expired. */
export type TokenUse =
  | {
    readonly kind: "live";
    readonly userId: number | null;
    readonly name: string;
    readonly scope: TokenScope;
    /** The holder's role; a token made with `SHM_ADMIN_TOKEN` is an admin's. */
    readonly role: UserRole;
  }
  | { readonly kind: "expired"; readonly name: string };

/**
 * Uses the unrevoked token with hash `tokenHash` at `now`, in one statement:
 * a live one (unexpired, its account not disabled) is marked as used and
 * returned with its holder; an expired one is returned as such, unmarked;
 * null when no unrevoked token has the hash or its account is disabled.
 */
export async function useApiToken(
  db: Database,
  options: { tokenHash: Uint8Array; now: Date },
): Promise<TokenUse | null> {
  const [row] = await db.query<{
    userId: number | null;
    name: string;
    scope: TokenScope;
    role: UserRole;
    expired: boolean;
  }>(sql`
    with found as (
      select t.id, t.user_id, t.name, t.scope, coalesce(u.role, 'admin') as role,
        (t.expires_at is not null and t.expires_at <= ${options.now}) as expired
      from api_tokens t left join users u on u.id = t.user_id
      where t.token_hash = ${options.tokenHash} and t.revoked_at is null
        and (t.user_id is null or u.disabled_at is null)
    ), used as (
      update api_tokens set last_used_at = ${options.now}
      from found where api_tokens.id = found.id and not found.expired
      returning api_tokens.id
    )
    select user_id as "userId", name, scope, role, expired from found`);
  if (row === undefined) return null;
  if (row.expired) return { kind: "expired", name: row.name };
  return { kind: "live", userId: row.userId, name: row.name, scope: row.scope, role: row.role };
}
