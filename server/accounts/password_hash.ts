/**
 * Password hashing with WebCrypto PBKDF2-SHA256: 600,000 iterations (the
 * OWASP figure for this function), a 16-byte random salt and a 32-byte
 * hash, stored as one self-describing text so the iteration count can rise
 * later without breaking old hashes.
 */

import { timingSafeEqual } from "node:crypto";

/** Iterations of new hashes. */
export const PASSWORD_ITERATIONS = 600_000;

/** The fewest iterations a stored hash may claim; anything weaker is refused. */
const MIN_ITERATIONS = 100_000;

const PREFIX = "pbkdf2-sha256";

/**
 * Hashes `password` as `pbkdf2-sha256$<iterations>$<salt>$<hash>` (base64).
 * `iterations` exists for tests of the format; production uses the default.
 */
export async function hashPassword(
  password: string,
  options: { iterations?: number } = {},
): Promise<string> {
  const iterations = options.iterations ?? PASSWORD_ITERATIONS;
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(password, salt, iterations);
  return `${PREFIX}$${iterations}$${toBase64(salt)}$${toBase64(hash)}`;
}

/**
 * Whether `stored` is a password's hash (made by {@linkcode hashPassword}),
 * not the marker of an account that signs in some other way and has no
 * password (OpenID Connect, the forward-auth proxy).
 */
export function isPasswordHash(stored: string): boolean {
  return stored.startsWith(`${PREFIX}$`);
}

/**
 * Whether `password` matches `stored` (a {@linkcode hashPassword} result),
 * compared in constant time. A malformed or too weak stored hash never matches.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 4 || parts[0] !== PREFIX) return false;
  const iterations = Number(parts[1]);
  if (!Number.isSafeInteger(iterations) || iterations < MIN_ITERATIONS || iterations > 10_000_000) {
    return false;
  }
  let salt: Uint8Array;
  let expected: Uint8Array;
  try {
    salt = fromBase64(parts[2] ?? "");
    expected = fromBase64(parts[3] ?? "");
  } catch {
    return false;
  }
  if (salt.length < 16 || expected.length !== 32) return false;
  return timingSafeEqual(await derive(password, salt, iterations), expected);
}

/**
 * A well-formed hash that no password matches, checked against when the
 * username is unknown so that both failures take the same time.
 */
export const DECOY_HASH: string = `${PREFIX}$${PASSWORD_ITERATIONS}$${
  toBase64(crypto.getRandomValues(new Uint8Array(16)))
}$${toBase64(crypto.getRandomValues(new Uint8Array(32)))}`;

async function derive(password: string, salt: Uint8Array, iterations: number) {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(password.normalize("NFC")),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as Uint8Array<ArrayBuffer>, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}
