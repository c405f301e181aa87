/**
 * Accounts: who may use the dashboard and the admin API. Making accounts (the
 * setup page, `shm user`, the first account at start), password hashing and
 * changes, sign-in and sessions, API tokens, and the views pages show. Routes
 * and commands call this layer; only it calls the store's account queries.
 * What a username and a password may be is `shared/account_rules.ts`.
 */

export { hasAccounts, listAccounts } from "./account_list.ts";
export {
  apiTokenHolder,
  apiTokensExist,
  apiTokenUser,
  createApiToken,
  revokeUserApiToken,
  userApiTokens,
} from "./api_tokens.ts";
export { createAccount, ensureFirstAccount } from "./create_account.ts";
export { hashPassword, verifyPassword } from "./password_hash.ts";
export {
  csrfTokenFor,
  type NewSession,
  randomToken,
  sameToken,
  SESSION_TTL_MS,
  sessionAccount,
  signIn,
  signOut,
} from "./sessions.ts";
export { setPassword } from "./set_password.ts";
export type { AccountView, ApiTokenView, SessionAccount } from "./views.ts";
