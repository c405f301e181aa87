/** The accounts there are: whether any exists, and each of them. */

import { countUsers, type Database, listUsers } from "../store/mod.ts";
import type { AccountView } from "./views.ts";

/** Whether at least one account exists (the setup link and the first account ask). */
export async function hasAccounts(db: Database): Promise<boolean> {
  return await countUsers(db) > 0;
}

/** Every account, by username. */
export async function listAccounts(db: Database): Promise<AccountView[]> {
  const users = await listUsers(db);
  return users.map((user) => ({ username: user.username, createdAt: user.createdAt }));
}
