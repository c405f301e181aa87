/** Changing an account's password, which ends its other sessions. */

import {
  type Database,
  findUserCredentials,
  updatePasswordHash,
  withAuditEntry,
} from "../store/mod.ts";
import { hashPassword, isPasswordHash, verifyPassword } from "./password_hash.ts";
import { tokenHash } from "./sessions.ts";

/**
 * Sets account `username`'s password and ends its other sessions (all but
 * `keepSessionToken`), recording it in the audit log as done by `actor` (the
 * user, or `cli`) at `now`, in the same transaction. With `currentPassword`
 * the change happens only if it matches; an account that has no password
 * (made by OpenID Connect or the forward-auth proxy) has none to match:
 * "no_password", unchanged. Returns "changed", "wrong_password",
 * "no_password" or "no_such_user"; the caller has checked the new password
 * (`passwordProblem`, `shared/account_rules.ts`).
 */
export async function setPassword(
  db: Database,
  options: {
    username: string;
    newPassword: string;
    currentPassword?: string;
    keepSessionToken?: string;
    actor: string;
    now: Date;
  },
): Promise<"changed" | "wrong_password" | "no_password" | "no_such_user"> {
  if (options.currentPassword !== undefined) {
    const user = await findUserCredentials(db, options.username);
    if (user === null) return "no_such_user";
    if (!isPasswordHash(user.passwordHash)) return "no_password";
    if (!await verifyPassword(options.currentPassword, user.passwordHash)) return "wrong_password";
  }
  const change = {
    username: options.username,
    passwordHash: await hashPassword(options.newPassword),
    ...(options.keepSessionToken === undefined
      ? {}
      : { keepSessionHash: await tokenHash(options.keepSessionToken) }),
  };
  const changed = await withAuditEntry(
    db,
    (tx) => updatePasswordHash(tx, change),
    (done) =>
      done
        ? {
          at: options.now,
          actor: options.actor,
          action: "password.change",
          target: options.username,
          detail: {},
        }
        : null,
  );
  return changed ? "changed" : "no_such_user";
}
