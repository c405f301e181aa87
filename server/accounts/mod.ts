/**
 * Accounts: who may use the dashboard and the admin API. Making accounts (the
 * setup page, invitations, `shm user`, the first account at start, a trusted
 * forward-auth proxy), roles and
 * what admins do to accounts, password hashing and changes, sign-in and
 * sessions, API tokens and their scopes, and the views pages show. Routes and
 * commands call this layer; only it calls the store's account queries. What a
 * username and a password may be is `shared/account_rules.ts`.
 */

export { hasAccounts, listAccounts, pendingInvites } from "./account_list.ts";
export {
  apiTokenHolder,
  apiTokensExist,
  apiTokenUser,
  createApiToken,
  MAX_TOKEN_DAYS,
  revokeUserApiToken,
  type TokenHolder,
  userApiTokens,
} from "./api_tokens.ts";
export { createAccount, ensureFirstAccount } from "./create_account.ts";
export { acceptInvite, invitationFor, INVITE_TTL_MS, inviteAccount } from "./invitations.ts";
export { type AccountChangeOutcome, changeAccount, removeAccount } from "./manage_accounts.ts";
export { hashPassword, verifyPassword } from "./password_hash.ts";
export { type LoginState, OidcClient, OidcRefusal, type OidcSignIn } from "./oidc_client.ts";
export {
  type LogoutHint,
  type LogoutHintCookie,
  logoutHintCookie,
  MAX_ID_TOKEN_HINT_LENGTH,
  readLogoutHint,
} from "./oidc_logout_hint.ts";
export { type OidcAccount, oidcAccount, type OidcPerson } from "./oidc_accounts.ts";
export { type ProxyAccount, proxyAccount, type RoleSync, syncRole } from "./proxy_accounts.ts";
export { isRole, isTokenScope, type Role, ROLES, TOKEN_SCOPES, type TokenScope } from "./roles.ts";
export {
  csrfTokenFor,
  type NewSession,
  randomToken,
  sameToken,
  SESSION_TTL_MS,
  sessionAccount,
  signIn,
  signOut,
  startSession,
} from "./sessions.ts";
export { setPassword } from "./set_password.ts";
export { accountSignInWay, type SignInWay } from "./sign_in_way.ts";
export type { AccountView, ApiTokenView, InviteView, SessionAccount } from "./views.ts";
