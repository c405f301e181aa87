/**
 * API tokens and password changes. A token is 32 random bytes shown once at
 * creation; the database keeps only its SHA-256, which is enough for a
 * high-entropy secret (no slow hash is needed, unlike passwords).
 */

import {
  type Database,
  findUserCredentials,
  insertApiToken,
  updatePasswordHash,
  useApiToken,
} from "../store/mod.ts";
import { hashPassword, verifyPassword } from "./password.ts";
import { randomToken, tokenHash } from "./sessions.ts";

/** What an API token looks like: a prefix that says what it is, then 43 base64url characters. */
const API_TOKEN_SHAPE = /^shm_[A-Za-z0-9_-]{43}$/;

/** The fewest characters a password may have. */
export const MIN_PASSWORD_LENGTH = 8;

/**
 * Creates an API token named `name` for user `userId`; returns its id and
 * the token itself, which is stored only as a hash and cannot be shown again.
 */
export async function createApiToken(
  db: Database,
  options: { userId: number; name: string; now: Date },
): Promise<{ id: number; token: string }> {
  const token = `shm_${randomToken()}`;
  const id = await insertApiToken(db, {
    userId: options.userId,
    name: options.name,
    tokenHash: await tokenHash(token),
    createdAt: options.now,
  });
  return { id, token };
}

/**
 * The id of the user whose live token `token` is, noting its use at `now`;
 * null for a revoked, unknown or malformed token.
 */
export async function apiTokenUser(db: Database, token: string, now: Date): Promise<number | null> {
  if (!API_TOKEN_SHAPE.test(token)) return null;
  return await useApiToken(db, { tokenHash: await tokenHash(token), now });
}

/** Why a password cannot be used, in one sentence; null when it can. */
export function passwordProblem(password: string): string | null {
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    return `A password needs at least ${MIN_PASSWORD_LENGTH} characters.`;
  }
  if (password.length > 1000) return "A password may have at most 1000 characters.";
  return null;
}

/**
 * Sets account `username`'s password and ends its other sessions (all but
 * `keepSessionToken`). With `currentPassword` the change happens only if it
 * matches. Returns "changed", "wrong_password" or "no_such_user"; throws
 * nothing for a weak password, see {@linkcode passwordProblem}.
 */
export async function setPassword(
  db: Database,
  options: {
    username: string;
    newPassword: string;
    currentPassword?: string;
    keepSessionToken?: string;
  },
): Promise<"changed" | "wrong_password" | "no_such_user"> {
  if (options.currentPassword !== undefined) {
    const user = await findUserCredentials(db, options.username);
    if (user === null) return "no_such_user";
    if (!await verifyPassword(options.currentPassword, user.passwordHash)) return "wrong_password";
  }
  const changed = await updatePasswordHash(db, {
    username: options.username,
    passwordHash: await hashPassword(options.newPassword),
    ...(options.keepSessionToken === undefined
      ? {}
      : { keepSessionHash: await tokenHash(options.keepSessionToken) }),
  });
  return changed ? "changed" : "no_such_user";
}
