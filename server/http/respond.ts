/** Building responses: JSON bodies and the one error shape of the protocol. */

import { ClientError, StoreUnavailableError } from "../errors.ts";
import type { Logger } from "../log.ts";

/** A JSON response with `status` and optional extra headers. */
export function jsonResponse(
  body: unknown,
  status = 200,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** The protocol's error response: `{"error":{"code","message"}}` with its status. */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return jsonResponse({ error: { code, message } }, status, headers);
}

/**
 * Turns anything thrown while handling a request into a response: a
 * {@linkcode ClientError} into its own status, an unavailable store into 503,
 * anything else into a logged 500 that reveals nothing.
 */
export function responseForError(
  error: unknown,
  context: { log: Logger; method: string; path: string },
): Response {
  if (error instanceof ClientError) {
    return errorResponse(error.status, error.code, error.message, error.headers);
  }
  if (error instanceof StoreUnavailableError) {
    // Not a warning per request: the outage is logged once when it starts and once when it ends.
    context.log.debug("store unavailable", {
      method: context.method,
      path: context.path,
      error: error.message,
    });
    return errorResponse(
      503,
      "store_unavailable",
      "The database is unavailable right now: retry later, nothing was stored",
      { "retry-after": "30" },
    );
  }
  context.log.error("request failed", { method: context.method, path: context.path, error });
  return errorResponse(500, "internal_error", "The server failed to handle the request");
}
