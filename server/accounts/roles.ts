/**
 * What an account and an API token may do. An account is an `admin`
 * (everything) or a `viewer` (every page and read API); a token's `scope` is
 * `read` (GET only) or `write`, within its holder's role.
 */

/** An account's role. */
export type Role = "admin" | "viewer";

/** Every role, in the order forms list them. */
export const ROLES: readonly Role[] = ["admin", "viewer"];

/** What an API token may do within its holder's role. */
export type TokenScope = "read" | "write";

/** Every token scope, in the order forms list them. */
export const TOKEN_SCOPES: readonly TokenScope[] = ["read", "write"];

/** Whether `value` names a role. */
export function isRole(value: unknown): value is Role {
  return value === "admin" || value === "viewer";
}

/** Whether `value` names a token scope. */
export function isTokenScope(value: unknown): value is TokenScope {
  return value === "read" || value === "write";
}
