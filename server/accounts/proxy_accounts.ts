/**
 * Accounts of people a trusted forward-auth proxy signs in (Authelia,
 * Authentik…): made on first sight with the role the proxy's groups map
 * to, with no password (they sign in through the proxy only), and their
 * role set again from the groups whenever it differs.
 */

import { type Database, findUserCredentials, insertAuditEntry, insertUser } from "../store/mod.ts";
import { changeAccount } from "./manage_accounts.ts";
import type { Role } from "./roles.ts";

/** What a password hash is for an account made by the proxy: no password ever matches it. */
export const PROXY_NO_PASSWORD = "none: signs in through the forward-auth proxy";

/** The account a proxy names, as the gate needs it. */
export type ProxyAccount =
  | {
    readonly kind: "account";
    readonly userId: number;
    /** The role it holds now (after a re-sync). */
    readonly role: Role;
    /** Set when the groups asked for a demotion that was refused: the last active admin stays. */
    readonly keptLastAdmin?: true;
  }
  | { readonly kind: "disabled" };

/** What {@linkcode syncRole} did. */
export type RoleSync = "same" | "changed" | "kept_last_admin";

/**
 * Sets account `username`'s role from `held` to `wanted` when they differ,
 * recorded in the audit log (`account.role`, by `actor`) like an admin's
 * change; the last active admin is never demoted (`kept_last_admin`, and
 * nothing changes). A disabled or removed account is left alone (`same`).
 */
export async function syncRole(
  db: Database,
  change: { username: string; held: Role; wanted: Role; now: Date; actor: string },
): Promise<RoleSync> {
  if (change.held === change.wanted) return "same";
  const outcome = await changeAccount(db, {
    username: change.username,
    role: change.wanted,
    now: change.now,
    actor: change.actor,
  });
  if (outcome === "last_admin") return "kept_last_admin";
  return outcome === "changed" ? "changed" : "same";
}

/**
 * The account `username` (checked by the caller with `isUsername`) that the
 * proxy signed in: when none exists it is made with `role`, recorded in the
 * audit log (`account.create` by `auth proxy`) in the same transaction. An
 * existing account gets `role` when `syncRole` is set and it differs
 * ({@linkcode syncRole}: audited, never demoting the last active admin), else
 * keeps its own. A disabled account is `{ kind: "disabled" }`.
 */
export async function proxyAccount(
  db: Database,
  seen: { username: string; role: Role; now: Date; syncRole: boolean },
): Promise<ProxyAccount> {
  let found = await findUserCredentials(db, seen.username);
  if (found === null) {
    await db.transaction(async (tx) => {
      const id = await insertUser(tx, {
        username: seen.username,
        passwordHash: PROXY_NO_PASSWORD,
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
  if (!seen.syncRole) return { kind: "account", userId: found.id, role: found.role };
  const sync = await syncRole(db, {
    username: found.username,
    held: found.role,
    wanted: seen.role,
    now: seen.now,
    actor: "auth proxy",
  });
  return sync === "kept_last_admin"
    ? { kind: "account", userId: found.id, role: found.role, keptLastAdmin: true }
    : { kind: "account", userId: found.id, role: seen.role };
}
