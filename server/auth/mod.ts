/** Accounts: password hashing, sign-in, sessions, CSRF tokens and the first account. */

export { hashPassword, PASSWORD_ITERATIONS, verifyPassword } from "./password.ts";
export {
  csrfTokenFor,
  ensureFirstAccount,
  type NewSession,
  randomToken,
  sameToken,
  SESSION_TTL_MS,
  sessionUser,
  signIn,
  signOut,
} from "./sessions.ts";
export {
  apiTokenUser,
  createApiToken,
  MIN_PASSWORD_LENGTH,
  passwordProblem,
  setPassword,
} from "./api_tokens.ts";
