/**
 * What an admin does to other accounts: change a role, disable or enable,
 * remove. Each change and its audit lines are one transaction, and none may
 * leave the server without an active admin (`last_admin`).
 */

import {
  changeUserAccess,
  type Database,
  deleteUser,
  insertAuditEntry,
  type UserAccessOutcome,
} from "../store/mod.ts";
import type { Role } from "./roles.ts";

/** What a change of an account did: `changed` (also when it was already so), or why not. */
export type AccountChangeOutcome = UserAccessOutcome["kind"];

/**
 * Sets account `username`'s role and/or disabled state (what is not given
 * stays); disabling ends its sessions and stops its API tokens. Each real
 * change is recorded in the audit log as done by `actor` at `now`
 * (`account.role` with `from` and `to`, `account.disable`, `account.enable`),
 * in the change's transaction. Returns `changed`, `no_such_user`, or
 * `last_admin` when it would leave no active admin (nothing changes then).
 */
export async function changeAccount(
  db: Database,
  change: { username: string; role?: Role; disabled?: boolean; now: Date; actor: string },
): Promise<AccountChangeOutcome> {
  return await db.transaction(async (tx) => {
    const outcome = await changeUserAccess(tx, change);
    if (outcome.kind !== "changed") return outcome.kind;
    const entry = (action: string, detail: Record<string, unknown> = {}) =>
      insertAuditEntry(tx, {
        at: change.now,
        actor: change.actor,
        action,
        target: change.username,
        detail,
      });
    const { before, after } = outcome;
    if (before.role !== after.role) {
      await entry("account.role", { from: before.role, to: after.role });
    }
    if (before.disabled !== after.disabled) {
      await entry(after.disabled ? "account.disable" : "account.enable");
    }
    return "changed";
  });
}

/**
 * Removes account `username` with its sessions and API tokens, recorded in
 * the audit log (`account.remove`) as done by `actor` at `now` in the same
 * transaction. Returns `changed` (removed), `no_such_user`, or `last_admin`
 * for the last active admin (nothing changes then).
 */
export async function removeAccount(
  db: Database,
  options: { username: string; now: Date; actor: string },
): Promise<AccountChangeOutcome> {
  return await db.transaction(async (tx) => {
    const outcome = await deleteUser(tx, options.username);
    if (outcome.kind !== "changed") return outcome.kind;
    await insertAuditEntry(tx, {
      at: options.now,
      actor: options.actor,
      action: "account.remove",
      target: options.username,
      detail: { role: outcome.before.role },
    });
    return "changed";
  });
}
