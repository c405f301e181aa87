/**
 * What signing out at the provider needs of a sign-in with it: the ID token
 * received then, sent back as `id_token_hint` (OpenID Connect RP-Initiated
 * Logout 1.0), so that the provider knows whose sign-out it is and may end
 * its session without asking.
 *
 * It is kept in the browser, in the HttpOnly cookie that already says a
 * session came from the provider (`http/oidc_routes.ts`, sent to `/logout`
 * only), not in the session's row: the `sessions` table has no column for
 * it and the schema changes only by a migration, and a server's memory is
 * neither shared by replicas nor kept across a restart. The value is tied
 * to its session by a hash of the session's token, so that a cookie left by
 * an earlier session never speaks for another; an ID token too long for a
 * cookie is not kept (sign-out at the provider then goes without the hint).
 */

import { sameToken, tokenHash } from "./sessions.ts";

/**
 * The longest ID token kept, in characters (ASCII): with the cookie's name
 * and the session's tie, the cookie stays under the 4,096 bytes every
 * browser keeps.
 */
export const MAX_ID_TOKEN_HINT_LENGTH = 3_800;

/** An ID token as a JWS in compact form: three base64url parts (the cookie takes no other). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The tie of a session: 22 base64url characters (128 bits) of a hash of its token. */
const TIE = /^[A-Za-z0-9_-]{22}$/;

/** What the cookie of a session that came from the provider holds, and whether it was kept whole. */
export interface LogoutHintCookie {
  /** The cookie's value: the session's tie, then `.` and the ID token when kept. */
  readonly value: string;
  /** Why the ID token was not kept: null when it was. */
  readonly skipped: "too_long" | "not_compact" | null;
}

/** What a session's cookie says at sign-out. */
export type LogoutHint =
  /** The session came from the provider; `idToken` is its ID token, or null when not kept. */
  | { readonly kind: "provider"; readonly idToken: string | null }
  /** The cookie belongs to another (earlier) session, or is not one this server set. */
  | { readonly kind: "other" };

/**
 * The cookie value for session `sessionToken` that came from the provider
 * with `idToken`: the session's tie and the ID token, or the tie alone when
 * the token is longer than {@linkcode MAX_ID_TOKEN_HINT_LENGTH} or not a
 * compact JWS (`skipped` says which). Never throws for any `idToken`.
 */
export async function logoutHintCookie(
  sessionToken: string,
  idToken: string,
): Promise<LogoutHintCookie> {
  const tie = await tieOf(sessionToken);
  if (idToken.length > MAX_ID_TOKEN_HINT_LENGTH) return { value: tie, skipped: "too_long" };
  if (!COMPACT_JWS.test(idToken)) return { value: tie, skipped: "not_compact" };
  return { value: `${tie}.${idToken}`, skipped: null };
}

/**
 * Reads the cookie `value` at the sign-out of session `sessionToken`: the
 * provider's session with its ID token (or none kept), or `other` when the
 * cookie is not this session's. A `1` (the value set before ID tokens were
 * kept) counts as the provider's session without a token.
 */
export async function readLogoutHint(sessionToken: string, value: string): Promise<LogoutHint> {
  if (value === "1") return { kind: "provider", idToken: null };
  const dot = value.indexOf(".");
  const tie = dot === -1 ? value : value.slice(0, dot);
  const idToken = dot === -1 ? null : value.slice(dot + 1);
  if (!TIE.test(tie) || !await sameToken(tie, await tieOf(sessionToken))) return { kind: "other" };
  if (idToken !== null && !COMPACT_JWS.test(idToken)) return { kind: "other" };
  return { kind: "provider", idToken };
}

async function tieOf(sessionToken: string): Promise<string> {
  const hash = await tokenHash(`oidc-logout:${sessionToken}`);
  return btoa(String.fromCharCode(...hash.slice(0, 16))).replaceAll("+", "-")
    .replaceAll("/", "_").replaceAll("=", "");
}
