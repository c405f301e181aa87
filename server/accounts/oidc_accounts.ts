/**
 * Accounts of people who sign in with OpenID Connect: bound to the
 * provider's issuer and subject (never found by name), made on first
 * sign-in with the role their groups map to and no password, and their
 * role set again from the groups at every sign-in when an admin group is set.
 */

import {
  type Database,
  findOidcUser,
  insertAuditEntry,
  insertOidcIdentity,
  insertUser,
} from "../store/mod.ts";
import { syncRole } from "./proxy_accounts.ts";
import type { Role } from "./roles.ts";

/** What a password hash is for an account made by OpenID Connect: no password ever matches it. */
export const OIDC_NO_PASSWORD = "none: signs in with OpenID Connect";

/** How the audit log names this way of signing in. */
const ACTOR = "openid connect";

/** The person a provider signed in, as checked by `oidc_client.ts`. */
export interface OidcPerson {
  readonly issuer: string;
  readonly subject: string;
  /** The name for a new account (checked with `isUsername`). */
  readonly username: string;
  /** The role the groups map to. */
  readonly role: Role;
  /** Whether the role is set again from the groups (an admin group is configured). */
  readonly syncRole: boolean;
}

/** The account of an OpenID Connect sign-in, or why there is none. */
export type OidcAccount =
  | {
    readonly kind: "account";
    readonly userId: number;
    readonly username: string;
    readonly role: Role;
    /** Whether the account was made by this sign-in. */
    readonly created: boolean;
    /** Set when the groups asked for a demotion that was refused: the last active admin stays. */
    readonly keptLastAdmin?: true;
  }
  | { readonly kind: "disabled"; readonly username: string }
  /** No account is bound to the person, and their name is another account's. */
  | { readonly kind: "name_taken"; readonly username: string };

/**
 * The account of `person` at `now`: the one bound to their issuer and
 * subject, or one made now with their username and role (with the binding
 * and an `account.create` audit line by `openid connect`, in one
 * transaction). When the username is another account's, nothing is made
 * (`name_taken`): a name chosen at the provider never opens an account made
 * here. A bound account's role is re-synced when `syncRole` is set.
 */
export async function oidcAccount(
  db: Database,
  person: OidcPerson & { now: Date },
): Promise<OidcAccount> {
  const identity = { issuer: person.issuer, subject: person.subject };
  let found = await findOidcUser(db, identity);
  let created = false;
  if (found === null) {
    created = await db.transaction(async (tx): Promise<boolean> => {
      const userId = await insertUser(tx, {
        username: person.username,
        passwordHash: OIDC_NO_PASSWORD,
        createdAt: person.now,
        role: person.role,
      });
      if (userId === null) return false;
      if (!await insertOidcIdentity(tx, { ...identity, userId, createdAt: person.now })) {
        // The same person signed in twice at once under two names and the other request bound
        // them first: the account made here is rolled back.
        throw new BoundMeanwhile();
      }
      await insertAuditEntry(tx, {
        at: person.now,
        actor: ACTOR,
        action: "account.create",
        target: person.username,
        detail: { role: person.role, issuer: person.issuer },
      });
      return true;
    }).catch((error: unknown) => {
      if (error instanceof BoundMeanwhile) return false;
      throw error;
    });
    found = await findOidcUser(db, identity);
    if (found === null) return { kind: "name_taken", username: person.username };
  }
  if (found.disabled) return { kind: "disabled", username: found.username };
  const account = { kind: "account", userId: found.id, username: found.username, created } as const;
  if (!person.syncRole || created) return { ...account, role: found.role };
  const sync = await syncRole(db, {
    username: found.username,
    held: found.role,
    wanted: person.role,
    now: person.now,
    actor: ACTOR,
  });
  return sync === "kept_last_admin"
    ? { ...account, role: found.role, keptLastAdmin: true }
    : { ...account, role: person.role };
}

/** Thrown to roll back an account whose identity another sign-in bound meanwhile. */
class BoundMeanwhile extends Error {
  override name = "BoundMeanwhile";
}
