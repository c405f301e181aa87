/**
 * Sign-in, sessions and the first account. A session is a random token in
 * a cookie; the database keeps only its SHA-256, with an expiry. The CSRF
 * token of a session is derived from the session token, so forms need no
 * extra storage and a page from another site, which cannot read the cookie,
 * cannot know it.
 */

import { timingSafeEqual } from "node:crypto";
import {
  countUsers,
  type Database,
  deleteExpiredSessions,
  deleteSession,
  findSessionUser,
  findUserCredentials,
  insertFirstUser,
  insertSession,
  type SessionUser,
} from "../store/mod.ts";
import { DECOY_HASH, hashPassword, verifyPassword } from "./password.ts";

/** How long a session lasts after sign-in. */
export const SESSION_TTL_MS = 7 * 86_400_000;

/** A new session: the token for the cookie and when it expires. */
export interface NewSession {
  readonly token: string;
  readonly expiresAt: Date;
}

/** A random token of 32 bytes, base64url without padding. */
export function randomToken(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** The SHA-256 of a token, as stored. */
export async function tokenHash(token: string): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)),
  );
}

/** The CSRF token that forms of the session `sessionToken` must carry. */
export async function csrfTokenFor(sessionToken: string): Promise<string> {
  return base64url(await tokenHash(`csrf:${sessionToken}`));
}

/** Whether two tokens are equal, compared in constant time. */
export async function sameToken(a: string, b: string): Promise<boolean> {
  return timingSafeEqual(await tokenHash(a), await tokenHash(b));
}

/**
 * Checks a username and password and, when they match, stores a new
 * session and returns it; null when they do not. Unknown usernames take as
 * long as wrong passwords.
 */
export async function signIn(
  db: Database,
  attempt: { username: string; password: string; now: Date },
): Promise<NewSession | null> {
  const user = await findUserCredentials(db, attempt.username);
  const matches = await verifyPassword(attempt.password, user?.passwordHash ?? DECOY_HASH);
  if (user === null || !matches) return null;
  const token = randomToken();
  const expiresAt = new Date(attempt.now.getTime() + SESSION_TTL_MS);
  await deleteExpiredSessions(db, attempt.now);
  await insertSession(db, {
    tokenHash: await tokenHash(token),
    userId: user.id,
    createdAt: attempt.now,
    expiresAt,
  });
  return { token, expiresAt };
}

/** The user of session `token` at `now`; null when it is unknown or expired. */
export async function sessionUser(
  db: Database,
  token: string,
  now: Date,
): Promise<SessionUser | null> {
  return await findSessionUser(db, { tokenHash: await tokenHash(token), now });
}

/** Ends session `token`; ending an unknown session does nothing. */
export async function signOut(db: Database, token: string): Promise<void> {
  await deleteSession(db, await tokenHash(token));
}

/**
 * Creates the first account when none exists and a password is given.
 * Returns what happened: "created", "exists" (an account was already
 * there) or "no_password" (none exists and none was given).
 */
export async function ensureFirstAccount(
  db: Database,
  account: { username: string; password: string | null; now: Date },
): Promise<"created" | "exists" | "no_password"> {
  if (await countUsers(db) > 0) return "exists";
  if (account.password === null) return "no_password";
  const created = await insertFirstUser(db, {
    username: account.username,
    passwordHash: await hashPassword(account.password),
    createdAt: account.now,
  });
  return created ? "created" : "exists";
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replaceAll("=", "");
}
