/** API tokens of dashboard accounts, known by their SHA-256: create, list, revoke, use. */

import { type Database, sql } from "../drivers/database.ts";

/** An API token as the settings page lists it (never its hash). */
export interface ApiTokenRow {
  readonly id: number;
  readonly name: string;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

/** Stores a new API token of user `userId`; `tokenHash` is the SHA-256 of the token. Returns its id. */
export async function insertApiToken(
  db: Database,
  token: { userId: number; name: string; tokenHash: Uint8Array; createdAt: Date },
): Promise<number> {
  const [row] = await db.query<{ id: number }>(sql`
    insert into api_tokens (user_id, name, token_hash, created_at)
    values (${token.userId}, ${token.name}, ${token.tokenHash}, ${token.createdAt})
    returning id`);
  if (row === undefined) throw new Error("insert into api_tokens returned no row");
  return row.id;
}

/** User `userId`'s API tokens, newest first, revoked ones included. */
export async function listApiTokens(db: Database, userId: number): Promise<ApiTokenRow[]> {
  return await db.query<ApiTokenRow>(sql`
    select id, name, created_at as "createdAt", last_used_at as "lastUsedAt",
      revoked_at as "revokedAt"
    from api_tokens where user_id = ${userId}
    order by created_at desc, id desc`);
}

/** Revokes token `id` of user `userId` at `now`; returns its name, or null when no live token was revoked. */
export async function revokeApiToken(
  db: Database,
  options: { id: number; userId: number; now: Date },
): Promise<string | null> {
  const [row] = await db.query<{ name: string }>(sql`
    update api_tokens set revoked_at = ${options.now}
    where id = ${options.id} and user_id = ${options.userId} and revoked_at is null
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

/**
 * Marks the live (unrevoked) token with hash `tokenHash` as used at `now`, in
 * one statement; returns its owner's user id and the token's name, or null
 * when no live token has it.
 */
export async function useApiToken(
  db: Database,
  options: { tokenHash: Uint8Array; now: Date },
): Promise<{ userId: number; name: string } | null> {
  const [row] = await db.query<{ userId: number; name: string }>(sql`
    update api_tokens set last_used_at = ${options.now}
    where token_hash = ${options.tokenHash} and revoked_at is null
    returning user_id as "userId", name`);
  return row ?? null;
}
