/**
 * Making an account: one function for the setup page, `shm user add` and the
 * first account made at start from `SHM_ADMIN_USER` and `SHM_ADMIN_PASSWORD`.
 */

import { type Database, insertFirstUser, insertUser, withAuditEntry } from "../store/mod.ts";
import { hasAccounts } from "./account_list.ts";
import { hashPassword } from "./password_hash.ts";
import type { Role } from "./roles.ts";

/**
 * Creates the account `username` with `password` (stored as a slow hash) and
 * `role` (default admin; the first account is always an admin) at `now`, and records it in the audit log as done by `actor` (`setup link`,
 * `cli`, `startup`) in the same transaction. The caller has checked both:
 * `isUsername` and `passwordProblem` (`shared/account_rules.ts`), or the
 * configuration for the first account. With `firstOnly`, the account is made
 * only while none exists, in one statement, so that several servers starting
 * at once make at most one. Returns "created", or "exists" when the username
 * is taken (with `firstOnly`: when any account exists); nothing is recorded then.
 */
export async function createAccount(
  db: Database,
  account: { username: string; password: string; now: Date; role?: Role },
  options: { actor: string; firstOnly?: boolean },
): Promise<"created" | "exists"> {
  const role = options.firstOnly === true ? "admin" : account.role ?? "admin";
  const user = {
    username: account.username,
    passwordHash: await hashPassword(account.password),
    createdAt: account.now,
    role,
  };
  return await withAuditEntry(
    db,
    async (tx) => {
      if (options.firstOnly === true) return await insertFirstUser(tx, user) ? "created" : "exists";
      return await insertUser(tx, user) === null ? "exists" : "created";
    },
    (outcome) =>
      outcome === "exists" ? null : {
        at: account.now,
        actor: options.actor,
        action: "account.create",
        target: account.username,
        detail: { role },
      },
  );
}

/**
 * Creates the first account when none exists and a password is given (from
 * `SHM_ADMIN_USER` and `SHM_ADMIN_PASSWORD` at start: the audit log's actor
 * is `startup`).
 * Returns what happened: "created", "exists" (an account was already
 * there) or "no_password" (none exists and none was given).
 */
export async function ensureFirstAccount(
  db: Database,
  account: { username: string; password: string | null; now: Date },
): Promise<"created" | "exists" | "no_password"> {
  if (await hasAccounts(db)) return "exists";
  if (account.password === null) return "no_password";
  return await createAccount(db, {
    username: account.username,
    password: account.password,
    now: account.now,
  }, { firstOnly: true, actor: "startup" });
}
