/** The embedded client bundle, served under `/assets/` with long caching keyed by its hash. */

import { CLIENT_CSS, CLIENT_HASH, CLIENT_JS } from "./client_bundle.generated.ts";

/**
 * An asset's body and content type, by file name. A Map, not an object: a
 * name from the URL such as `constructor` must find nothing, not a property
 * of Object.prototype.
 */
const ASSETS: ReadonlyMap<string, { body: string; type: string }> = new Map([
  ["client.js", { body: CLIENT_JS, type: "text/javascript; charset=utf-8" }],
  ["styles.css", { body: CLIENT_CSS, type: "text/css; charset=utf-8" }],
]);

/**
 * Answers an asset request: the file with an ETag, 304 when the browser has
 * it, or null when there is no such asset. URLs carrying the current hash
 * (`?v=`) are cacheable for a year.
 */
export function assetResponse(name: string, request: Request, url: URL): Response | null {
  const asset = ASSETS.get(name);
  if (asset === undefined) return null;
  const etag = `"${CLIENT_HASH}"`;
  const cacheControl = url.searchParams.get("v") === CLIENT_HASH
    ? "public, max-age=31536000, immutable"
    : "no-cache";
  const headers = {
    "content-type": asset.type,
    "cache-control": cacheControl,
    etag,
    "x-content-type-options": "nosniff",
  };
  if (request.headers.get("if-none-match") === etag) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(asset.body, { headers });
}
