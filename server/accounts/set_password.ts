/** Changing an account's password, which ends its other sessions. */

import { type Database, findUserCredentials, updatePasswordHash } from "../store/mod.ts";
import { hashPassword, verifyPassword } from "./password_hash.ts";
import { tokenHash } from "./sessions.ts";

/**
 * Sets account `username`'s password and ends its other sessions (all but
 * `keepSessionToken`). With `currentPassword` the change happens only if it
 * matches. Returns "changed", "wrong_password" or "no_such_user"; the caller
 * has checked the new password (`passwordProblem`, `shared/account_rules.ts`).
 */
export async function setPassword(
  db: Database,
  options: {
    username: string;
    newPassword: string;
    currentPassword?: string;
    keepSessionToken?: string;
  },
): Promise<"changed" | "wrong_password" | "no_such_user"> {
  if (options.currentPassword !== undefined) {
    const user = await findUserCredentials(db, options.username);
    if (user === null) return "no_such_user";
    if (!await verifyPassword(options.currentPassword, user.passwordHash)) return "wrong_password";
  }
  const changed = await updatePasswordHash(db, {
    username: options.username,
    passwordHash: await hashPassword(options.newPassword),
    ...(options.keepSessionToken === undefined
      ? {}
      : { keepSessionHash: await tokenHash(options.keepSessionToken) }),
  });
  return changed ? "changed" : "no_such_user";
}
