/**
 * Sign-in and sessions. A session is a random token in a cookie; the
 * database keeps only its SHA-256, with an expiry. The CSRF token of a
 * session is derived from the session token, so forms need no extra storage
 * and a page from another site, which cannot read the cookie, cannot know it.
 */

import { timingSafeEqual } from "node:crypto";
import {
  type Database,
  deleteExpiredSessions,
  deleteSession,
  findSessionUser,
  findUserCredentials,
  insertSession,
} from "../store/mod.ts";
import { DECOY_HASH, verifyPassword } from "./password_hash.ts";
import type { SessionAccount } from "./views.ts";

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
 * Checks a username and password and, when they match an account that is
 * not disabled, stores a new session and returns it; null otherwise.
 * Unknown usernames take as long as wrong passwords.
 */
export async function signIn(
  db: Database,
  attempt: { username: string; password: string; now: Date },
): Promise<NewSession | null> {
  const user = await findUserCredentials(db, attempt.username);
  const matches = await verifyPassword(attempt.password, user?.passwordHash ?? DECOY_HASH);
  if (user === null || !matches || user.disabled) return null;
  return await startSession(db, { userId: user.id, now: attempt.now });
}

/**
 * Stores a new session of account `userId` at `now` and returns it: for a
 * caller that proved who it is otherwise (an invitation just accepted, a
 * trusted proxy's header).
 */
export async function startSession(
  db: Database,
  options: { userId: number; now: Date },
): Promise<NewSession> {
  const token = randomToken();
  const expiresAt = new Date(options.now.getTime() + SESSION_TTL_MS);
  await deleteExpiredSessions(db, options.now);
  await insertSession(db, {
    tokenHash: await tokenHash(token),
    userId: options.userId,
    createdAt: options.now,
    expiresAt,
  });
  return { token, expiresAt };
}

/** The account of session `token` at `now`; null when it is unknown, expired or disabled. */
export async function sessionAccount(
  db: Database,
  token: string,
  now: Date,
): Promise<SessionAccount | null> {
  const user = await findSessionUser(db, { tokenHash: await tokenHash(token), now });
  return user === null
    ? null
    : { userId: user.userId, username: user.username, role: user.role, expiresAt: user.expiresAt };
}

/** Ends session `token`; ending an unknown session does nothing. */
export async function signOut(db: Database, token: string): Promise<void> {
  await deleteSession(db, await tokenHash(token));
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
    .replaceAll("=", "");
}
