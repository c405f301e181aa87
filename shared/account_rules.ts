/**
 * What a dashboard account's name and password may be. The server checks
 * them in its configuration (`SHM_ADMIN_USER`, `SHM_ADMIN_PASSWORD`), on the
 * setup page, in `shm user` and on the settings page; pages may show the
 * same numbers. One rule each, so that a name one place accepts is never
 * refused by another.
 */

/** The fewest characters a password may have. */
export const MIN_PASSWORD_LENGTH = 8;

/** The most characters (UTF-16 units) a password may have. */
export const MAX_PASSWORD_LENGTH = 1000;

/** What a username may be, in words: `1 to 64 letters, digits and ._@-`. */
export const USERNAME_RULE = "1 to 64 letters, digits and ._@-";

const USERNAME = /^[\p{L}\p{N}._@-]{1,64}$/u;

/** Whether `text` is a username: 1 to 64 letters, digits and `._@-`. */
export function isUsername(text: string): boolean {
  return USERNAME.test(text);
}

/**
 * Why `password` cannot be used, in one sentence; null when it can. It needs
 * {@linkcode MIN_PASSWORD_LENGTH} characters (code points) at least and
 * {@linkcode MAX_PASSWORD_LENGTH} UTF-16 units at most.
 */
export function passwordProblem(password: string): string | null {
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    return `A password needs at least ${MIN_PASSWORD_LENGTH} characters.`;
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    return `A password may have at most ${MAX_PASSWORD_LENGTH} characters.`;
  }
  return null;
}
