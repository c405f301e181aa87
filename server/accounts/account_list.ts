/** The accounts there are: whether any exists, each of them, and the pending invitations. */

import { countUsers, type Database, listInvites, listUsers } from "../store/mod.ts";
import type { AccountView, InviteView } from "./views.ts";

/** Whether at least one account exists (the setup link and the first account ask). */
export async function hasAccounts(db: Database): Promise<boolean> {
  return await countUsers(db) > 0;
}

/** Every account, by username, with its role and whether it is disabled. */
export async function listAccounts(db: Database): Promise<AccountView[]> {
  const users = await listUsers(db);
  return users.map((user) => ({
    username: user.username,
    role: user.role,
    createdAt: user.createdAt,
    disabledAt: user.disabledAt,
  }));
}

/** The invitations not yet used nor expired at `now`, by username. */
export async function pendingInvites(db: Database, now: Date): Promise<InviteView[]> {
  const rows = await listInvites(db, now);
  return rows.map((row) => ({ ...row }));
}
