/** Bearer-token authentication of the admin API, compared in constant time. */

import { timingSafeEqual } from "node:crypto";
import { ClientError } from "../errors.ts";

/**
 * Returns a check that throws 401 unless the request carries
 * `Authorization: Bearer <token>`. With no token configured every request is
 * refused with a message that says how to set one.
 */
export function bearerTokenCheck(token: string | null): (request: Request) => Promise<void> {
  const expected = token === null ? null : digest(token);
  return async (request) => {
    if (expected === null) {
      throw new ClientError(
        401,
        "admin_disabled",
        "The admin API is off: set SHM_ADMIN_TOKEN (at least 16 characters) and restart the server",
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
        "Cannot serve the admin API without a valid token: send Authorization: Bearer <SHM_ADMIN_TOKEN>",
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
