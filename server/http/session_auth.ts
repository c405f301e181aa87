/**
 * Sessions as HTTP sees them: the cookies, the signed-in user of a
 * request, and the admin API checks that accept a session or an API token
 * next to the bearer token (used by `access.ts`).
 */

import {
  apiTokenHolder,
  csrfTokenFor,
  type Role,
  type SessionAccount,
  sessionAccount,
  type TokenScope,
} from "../accounts/mod.ts";
import { ClientError } from "../errors.ts";
import type { Database } from "../store/mod.ts";

/** The session cookie. */
export const SESSION_COOKIE = "shm_session";

/** The cookie holding the login form's CSRF token (before there is a session). */
export const LOGIN_CSRF_COOKIE = "shm_login_csrf";

/** The cookie that makes a browser known to the sign-in limits once it signed in (`sign_in_limits.ts`). */
export const DEVICE_COOKIE = "shm_device";

/** What a cookie value this server sets may hold: its tokens are base64url, with `.` between parts. */
const COOKIE_VALUE = /^[A-Za-z0-9._-]*$/;

/** The signed-in user of a request, with the session token and its CSRF token. */
export interface SignedIn {
  readonly user: SessionAccount;
  readonly token: string;
  readonly csrfToken: string;
}

/** Reads one cookie of a request; undefined when it is absent. */
export function readCookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure over HTTPS; a null
 * value deletes the cookie. Throws a TypeError for a value that is not a
 * token of base64url characters and dots (the server sets no other), so
 * nothing from a request can reach the header.
 */
export function cookieHeader(
  name: string,
  value: string | null,
  options: { secure: boolean; path?: string; maxAgeSeconds?: number },
): string {
  if (value !== null && !COOKIE_VALUE.test(value)) {
    throw new TypeError(`Cannot set cookie ${name} as its value is not a token`);
  }
  const parts = [
    `${name}=${value ?? ""}`,
    `Path=${options.path ?? "/"}`,
    "HttpOnly",
    "SameSite=Lax",
  ];
  if (value === null) parts.push("Max-Age=0");
  else if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${options.maxAgeSeconds}`);
  if (options.secure) parts.push("Secure");
  return parts.join("; ");
}

/** The signed-in user of `request` at `now`, or null with no valid session. */
export async function signedIn(
  db: Database,
  request: Request,
  now: Date,
): Promise<SignedIn | null> {
  const token = readCookie(request, SESSION_COOKIE);
  if (token === undefined || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const user = await sessionAccount(db, token, now);
  if (user === null) return null;
  return { user, token, csrfToken: await csrfTokenFor(token) };
}

/**
 * Who called a route behind a token or a session, and what they may do:
 * `actor` as the audit log names them (a username, `api token NAME`,
 * `admin token`), their role, and `read` or `write` (a token's scope; a
 * session and `SHM_ADMIN_TOKEN` may write).
 */
export interface Caller {
  readonly actor: string;
  readonly role: Role;
  readonly scope: TokenScope;
  /** The calling account; null for `SHM_ADMIN_TOKEN` and the tokens it made. */
  readonly userId: number | null;
}

/**
 * The admin API's check: a valid session passes, so does a live API token
 * (made on the settings page) as `Authorization: Bearer`; otherwise `bearer`
 * (the `SHM_ADMIN_TOKEN` check) decides, with its own 401. Resolves to the
 * caller; an expired API token is a 401 `token_expired`.
 */
export function sessionOrBearer(
  deps: { db: Database; now: () => Date },
  bearer: (request: Request) => Promise<void>,
): (request: Request) => Promise<Caller> {
  const tokenOrBearer = apiTokenOrBearer(deps, bearer);
  return async (request) => {
    if (readCookie(request, SESSION_COOKIE) !== undefined) {
      const session = await signedIn(deps.db, request, deps.now());
      if (session !== null) {
        const { username, role, userId } = session.user;
        return { actor: username, role, scope: "write", userId };
      }
    }
    return await tokenOrBearer(request);
  };
}

/**
 * The check of admin endpoints that change things: a live API token passes;
 * otherwise `bearer` (the `SHM_ADMIN_TOKEN` check) decides. Sessions are not
 * accepted here, so no browser form can reach these endpoints. Resolves to
 * the caller (`api token NAME` with its holder's role and its scope, or
 * `admin token`, an admin who may write); an expired API token is a 401
 * `token_expired`.
 */
export function apiTokenOrBearer(
  deps: { db: Database; now: () => Date },
  bearer: (request: Request) => Promise<void>,
): (request: Request) => Promise<Caller> {
  return async (request) => {
    const apiToken = /^Bearer\s+(shm_\S+)\s*$/i.exec(request.headers.get("authorization") ?? "");
    if (apiToken?.[1] !== undefined) {
      const holder = await apiTokenHolder(deps.db, apiToken[1], deps.now());
      if (holder?.kind === "expired") {
        throw new ClientError(
          401,
          "token_expired",
          `Cannot serve the admin API with API token "${holder.name}" as it expired: make a ` +
            "new one on the dashboard's settings page (/settings)",
          { headers: { "www-authenticate": 'Bearer realm="shm", error="invalid_token"' } },
        );
      }
      if (holder !== null) {
        return {
          actor: `api token ${holder.name}`,
          role: holder.role,
          scope: holder.scope,
          userId: holder.userId,
        };
      }
    }
    await bearer(request);
    return { actor: "admin token", role: "admin", scope: "write", userId: null };
  };
}
