/**
 * The claims an OpenID Connect provider sent, parsed at the edge: every
 * claim the server uses has its type and size checked here, so a provider
 * that sends something else is refused with a sentence, never half-used.
 */

/** What the server reads of a person's claims. */
export interface OidcClaims {
  /** The provider's stable id of the person. */
  readonly subject: string;
  readonly email: string | null;
  /** Whether the provider says it checked the address (`email_verified` is `true`). */
  readonly emailVerified: boolean;
  readonly preferredUsername: string | null;
  /** The `groups` claim; empty when absent. */
  readonly groups: readonly string[];
}

/** Most groups read from one person. */
const MAX_GROUPS = 1000;

const CONTROL = /\p{Cc}/u;

/**
 * Reads `claims` (the ID token's, with UserInfo's): `sub` a string of 1 to
 * 255 characters; `email` absent or an address of at most 254 characters;
 * `email_verified` absent or a boolean; `preferred_username` absent or a
 * string of at most 255; `groups` absent or a list of at most 1,000 strings
 * of 1 to 200 characters. Anything else is `bad`, with a sentence saying which.
 */
export function readOidcClaims(
  claims: Record<string, unknown>,
): { kind: "ok"; claims: OidcClaims } | { kind: "bad"; problem: string } {
  const bad = (problem: string) => ({ kind: "bad" as const, problem });
  const { sub, email, email_verified, preferred_username, groups } = claims;
  if (typeof sub !== "string" || sub.length < 1 || sub.length > 255 || CONTROL.test(sub)) {
    return bad("a subject (sub) that is not 1 to 255 printable characters.");
  }
  if (
    email !== undefined && email !== null &&
    (typeof email !== "string" || email.length > 254 || !/^[^\s@]+@[^\s@]+$/.test(email) ||
      CONTROL.test(email))
  ) {
    return bad("an email claim that is not an e-mail address.");
  }
  if (
    email_verified !== undefined && email_verified !== null && typeof email_verified !== "boolean"
  ) {
    return bad("an email_verified claim that is not true or false.");
  }
  if (
    preferred_username !== undefined && preferred_username !== null &&
    (typeof preferred_username !== "string" || preferred_username.length > 255)
  ) {
    return bad("a preferred_username claim that is not a string of at most 255 characters.");
  }
  let groupList: string[] = [];
  if (groups !== undefined && groups !== null) {
    if (
      !Array.isArray(groups) || groups.length > MAX_GROUPS ||
      !groups.every((group) =>
        typeof group === "string" && group.length >= 1 && group.length <= 200 &&
        !CONTROL.test(group)
      )
    ) {
      return bad(
        `a groups claim that is not a list of at most ${MAX_GROUPS} names of 1 to 200 characters.`,
      );
    }
    groupList = groups as string[];
  }
  return {
    kind: "ok",
    claims: {
      subject: sub,
      email: typeof email === "string" ? email : null,
      emailVerified: email_verified === true,
      preferredUsername: typeof preferred_username === "string" ? preferred_username : null,
      groups: groupList,
    },
  };
}
