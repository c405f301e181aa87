/** The security headers every response carries unless its route set its own. */

/**
 * Headers added to every response that does not set them itself: no MIME
 * sniffing, no framing (by old and new browsers), no referrer to other
 * sites, and no caching. Routes that may be cached (badges, assets) and
 * pages (with their own content security policy) set theirs, which win.
 */
export const DEFAULT_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
});

/**
 * Returns `response` with every header of {@linkcode DEFAULT_SECURITY_HEADERS}
 * it lacks. The same response when its headers can be changed; a copy
 * (same status and body) when they cannot.
 */
export function withSecurityHeaders(response: Response): Response {
  const missing = Object.entries(DEFAULT_SECURITY_HEADERS).filter(([name]) =>
    !response.headers.has(name)
  );
  if (missing.length === 0) return response;
  try {
    for (const [name, value] of missing) response.headers.set(name, value);
    return response;
  } catch {
    // Headers of Response.redirect() and Response.error() are immutable.
    const headers = new Headers(response.headers);
    for (const [name, value] of missing) headers.set(name, value);
    return new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers,
    });
  }
}
