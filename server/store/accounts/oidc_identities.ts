/** Accounts made by OpenID Connect sign-in, found by the provider's issuer and subject (migration 0014). */

import { type Database, sql } from "../drivers/database.ts";
import type { UserRole } from "./users.ts";

/** The account an OpenID Connect identity is bound to. */
export interface OidcUser {
  readonly id: number;
  readonly username: string;
  readonly role: UserRole;
  readonly disabled: boolean;
}

/** The account bound to `subject` at `issuer`; null when none is. */
export async function findOidcUser(
  db: Database,
  identity: { issuer: string; subject: string },
): Promise<OidcUser | null> {
  const [row] = await db.query<OidcUser>(sql`
    select u.id, u.username, u.role, u.disabled_at is not null as disabled
    from oidc_identities o join users u on u.id = o.user_id
    where o.issuer = ${identity.issuer} and o.subject = ${identity.subject}`);
  return row ?? null;
}

/**
 * Binds `subject` at `issuer` to account `userId` (made just before, in the caller's
 * transaction). Returns false when the identity is bound already (another sign-in won).
 */
export async function insertOidcIdentity(
  db: Database,
  identity: { issuer: string; subject: string; userId: number; createdAt: Date },
): Promise<boolean> {
  const rows = await db.query(sql`
    insert into oidc_identities (issuer, subject, user_id, created_at)
    values (${identity.issuer}, ${identity.subject}, ${identity.userId}, ${identity.createdAt})
    on conflict (issuer, subject) do nothing
    returning user_id`);
  return rows.length === 1;
}
