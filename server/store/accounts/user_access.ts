/**
 * Changing who an account is: its role, whether it is disabled, or removing
 * it, each in one transaction that keeps at least one active admin (an admin
 * not disabled). The active admins' rows are locked first, in id order, so
 * that two changes at once cannot each leave the other as the last admin.
 */

import { type Database, sql } from "../drivers/database.ts";
import type { UserRole } from "./users.ts";

/** An account's role and whether it is disabled, before or after a change. */
export interface UserAccess {
  readonly role: UserRole;
  readonly disabled: boolean;
}

/** What a change of access did. */
export type UserAccessOutcome =
  | { readonly kind: "changed"; readonly before: UserAccess; readonly after: UserAccess }
  | { readonly kind: "no_such_user" }
  | { readonly kind: "last_admin" };

/**
 * Sets account `username`'s role and/or disabled state at `now` (what is not
 * given stays); disabling ends its sessions in the same transaction. Refused
 * as `last_admin` when it would leave no active admin, and then nothing changes.
 */
export async function changeUserAccess(
  db: Database,
  change: { username: string; role?: UserRole; disabled?: boolean; now: Date },
): Promise<UserAccessOutcome> {
  return await db.transaction(async (tx) => {
    const found = await lockedAccount(tx, change.username);
    if (found.kind !== "found") return found;
    const before: UserAccess = { role: found.role, disabled: found.disabled };
    const after: UserAccess = {
      role: change.role ?? before.role,
      disabled: change.disabled ?? before.disabled,
    };
    const staysActiveAdmin = after.role === "admin" && !after.disabled;
    if (found.activeAdmin && !staysActiveAdmin && found.activeAdmins === 1) {
      return { kind: "last_admin" };
    }
    await tx.query(sql`
      update users set role = ${after.role},
        disabled_at = case when ${after.disabled}::boolean
          then coalesce(disabled_at, ${change.now}) else null end
      where id = ${found.id}`);
    if (after.disabled) await tx.query(sql`delete from sessions where user_id = ${found.id}`);
    return { kind: "changed", before, after };
  });
}

/**
 * Removes account `username` with its sessions, API tokens and the
 * invitations it made. Refused as `last_admin` when it is the last active
 * admin; returns the removed account's role and state.
 */
export async function deleteUser(db: Database, username: string): Promise<UserAccessOutcome> {
  return await db.transaction(async (tx) => {
    const found = await lockedAccount(tx, username);
    if (found.kind !== "found") return found;
    if (found.activeAdmin && found.activeAdmins === 1) return { kind: "last_admin" };
    await tx.query(sql`delete from users where id = ${found.id}`);
    const before: UserAccess = { role: found.role, disabled: found.disabled };
    return { kind: "changed", before, after: before };
  });
}

/** Locks the active admins, then the account; says how many active admins there are. */
async function lockedAccount(tx: Database, username: string): Promise<
  | {
    kind: "found";
    id: number;
    role: UserRole;
    disabled: boolean;
    activeAdmin: boolean;
    activeAdmins: number;
  }
  | { kind: "no_such_user" }
> {
  const admins = await tx.query<{ id: number }>(sql`
    select id from users where role = 'admin' and disabled_at is null order by id for update`);
  const [row] = await tx.query<{ id: number; role: UserRole; disabled: boolean }>(sql`
    select id, role, disabled_at is not null as disabled from users
    where username = ${username} for update`);
  if (row === undefined) return { kind: "no_such_user" };
  return {
    kind: "found",
    ...row,
    activeAdmin: admins.some((admin) => admin.id === row.id),
    activeAdmins: admins.length,
  };
}
