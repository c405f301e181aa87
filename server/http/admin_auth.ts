/** Bearer-token authentication of the admin API, compared in constant time. */

import { timingSafeEqual } from "node:crypto";
import { ClientError } from "../errors.ts";

/** How a refused request can authenticate, in the words of every 401 of the admin API. */
const HOW_TO_AUTHENTICATE = "send Authorization: Bearer <token> with SHM_ADMIN_TOKEN or an " +
  "API token made on the dashboard's settings page (/settings), or sign in to the dashboard";

/** What the check may ask besides the request. */
export interface BearerCheckOptions {
  /**
   * Whether any API token is live. Without it the check cannot tell that the API is off (no
   * `SHM_ADMIN_TOKEN` and no API token), so it never says so.
   */
  readonly apiTokensExist?: () => Promise<boolean>;
}

/**
 * Returns a check that throws 401 unless the request carries
 * `Authorization: Bearer <token>` with the configured token. It runs after a
 * session and an API token were refused, so its message says every way in.
 * With no token configured every request is refused with code
 * `admin_disabled`, saying that the API is off only when no API token exists
 * either (as `options.apiTokensExist` tells).
 */
export function bearerTokenCheck(
  token: string | null,
  options: BearerCheckOptions = {},
): (request: Request) => Promise<void> {
  const expected = token === null ? null : digest(token);
  return async (request) => {
    if (expected === null) {
      const off = options.apiTokensExist !== undefined && !await options.apiTokensExist();
      throw new ClientError(
        401,
        "admin_disabled",
        off
          ? "The admin API is off as no SHM_ADMIN_TOKEN is set and no API token exists: set " +
            "SHM_ADMIN_TOKEN (at least 16 characters) and restart the server, or make an API " +
            "token on the dashboard's settings page (/settings)"
          : "Cannot serve the admin API without authentication (this server has no " +
            "SHM_ADMIN_TOKEN): send Authorization: Bearer <token> with an API token made on " +
            "the dashboard's settings page (/settings), or sign in to the dashboard",
      );
    }
    const header = request.headers.get("authorization") ?? "";
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (
      match === null || match[1] === undefined ||
      !timingSafeEqual(await digest(match[1]), await expected)
    ) {
      throw new ClientError(
        401,
        "unauthorized",
        `Cannot serve the admin API without a valid token: ${HOW_TO_AUTHENTICATE}`,
        { headers: { "www-authenticate": 'Bearer realm="shm"' } },
      );
    }
  };
}

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
}
