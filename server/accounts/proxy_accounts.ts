/**
 * Accounts of people a trusted forward-auth proxy signs in (Authelia,
 * Authentik…): made on first sight with the role the proxy's groups map
 * to, with no password (they sign in through the proxy only).
 */

import { type Database, findUserCredentials, insertAuditEntry, insertUser } from "../store/mod.ts";
import type { Role } from "./roles.ts";

/** What a password hash is for an account made by the proxy: no password ever matches it. */
const NO_PASSWORD = "none: signs in through the forward-auth proxy";

/** The account a proxy names, as the gate needs it. */
export type ProxyAccount =
  | { readonly kind: "account"; readonly userId: number; readonly role: Role }
  | { readonly kind: "disabled" };

/**
 * The account `username` (checked by the caller with `isUsername`) that the
 * proxy signed in: when none exists it is made with `role`, recorded in the
 * audit log (`account.create` by `auth proxy`) in the same transaction; an
 * existing account keeps its role (an admin may change it). A disabled
 * account is `{ kind: "disabled" }`.
 */
export async function proxyAccount(
  db: Database,
  seen: { username: string; role: Role; now: Date },
): Promise<ProxyAccount> {
  let found = await findUserCredentials(db, seen.username);
  if (found === null) {
    await db.transaction(async (tx) => {
      const id = await insertUser(tx, {
        username: seen.username,
        passwordHash: NO_PASSWORD,
        createdAt: seen.now,
        role: seen.role,
      });
      // Another request made it meanwhile: it is read below.
      if (id === null) return;
      await insertAuditEntry(tx, {
        at: seen.now,
        actor: "auth proxy",
        action: "account.create",
        target: seen.username,
        detail: { role: seen.role },
      });
    });
    found = await findUserCredentials(db, seen.username);
  }
  if (found === null || found.disabled) return { kind: "disabled" };
  return { kind: "account", userId: found.id, role: found.role };
}
