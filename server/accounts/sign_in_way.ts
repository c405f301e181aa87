/** How an account signs in, as its stored password hash tells. */

import { type Database, findUserCredentials } from "../store/mod.ts";
import { OIDC_NO_PASSWORD } from "./oidc_accounts.ts";
import { isPasswordHash } from "./password_hash.ts";
import { PROXY_NO_PASSWORD } from "./proxy_accounts.ts";

/**
 * How an account signs in: with its `password`, or with no password at all,
 * through `openid_connect` or the `auth_proxy` (the accounts those make), or
 * `none` known (a hash that is neither, e.g. written by hand).
 */
export type SignInWay = "password" | "openid_connect" | "auth_proxy" | "none";

/** The way of signing in a stored password hash stands for. */
export function signInWayOf(storedHash: string): SignInWay {
  if (isPasswordHash(storedHash)) return "password";
  if (storedHash === OIDC_NO_PASSWORD) return "openid_connect";
  if (storedHash === PROXY_NO_PASSWORD) return "auth_proxy";
  return "none";
}

/** How account `username` signs in; null when no account has that name. */
export async function accountSignInWay(db: Database, username: string): Promise<SignInWay | null> {
  const user = await findUserCredentials(db, username);
  return user === null ? null : signInWayOf(user.passwordHash);
}
