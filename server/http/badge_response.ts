/**
 * A badge as an HTTP answer: the SVG or shields JSON body drawn by
 * `badges/`, its caching headers, a strong ETag over the exact bytes, and
 * 304 for a matching `If-None-Match`.
 */

import { type BadgeAnswer, badgeJson, badgeSvg } from "../badges/mod.ts";

/** The two bodies a badge has: SVG by default, shields endpoint JSON after `.json`. */
export type BadgeFormat = "svg" | "json";

/** Longest `max-age` of a badge showing its last known figure while the store is unavailable. */
const STALE_MAX_AGE_SECONDS = 30;

/**
 * The `Cache-Control` of a badge answer: `max-age` of `maxAgeSeconds`, at
 * most 30 s for a last known figure shown while the store is away.
 */
export function badgeCacheControl(answer: BadgeAnswer, maxAgeSeconds: number): string {
  const seconds = answer.stale === true
    ? Math.min(maxAgeSeconds, STALE_MAX_AGE_SECONDS)
    : maxAgeSeconds;
  return `public, max-age=${seconds}`;
}

/** `instances.json` → `instances` in JSON; anything else is the SVG badge of that name. */
export function splitFormat(segment: string): { name: string; format: BadgeFormat } {
  return segment.endsWith(".json")
    ? { name: segment.slice(0, -".json".length), format: "json" }
    : { name: segment, format: "svg" };
}

/**
 * The HTTP answer for a badge: SVG or JSON body, `Cache-Control`, a strong
 * ETag over the exact bytes, and 304 when `If-None-Match` names it (for a
 * 200 only: other statuses are never answered conditionally).
 */
export async function badgeResponse(
  request: Request,
  options: { answer: BadgeAnswer; format: BadgeFormat; cacheControl: string },
): Promise<Response> {
  const { answer, format } = options;
  const { body, etag } = await renderedBadge(format, answer.face);
  const headers: Record<string, string> = {
    "cache-control": options.cacheControl,
    etag,
    "x-content-type-options": "nosniff",
  };
  if (answer.status === 200 && etagMatches(request.headers.get("if-none-match"), etag)) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(body, {
    status: answer.status,
    headers: {
      ...headers,
      "content-type": format === "json"
        ? "application/json; charset=utf-8"
        : "image/svg+xml; charset=utf-8",
      // Opened directly, the SVG may draw but never load or run anything.
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'",
    },
  });
}

/** Rendered bodies and their tags by format and face: drawing is pure, so entries never go stale. */
const RENDERED = new Map<string, Promise<{ body: string; etag: string }>>();
const MAX_RENDERED = 5_000;

/** The badge's bytes and strong ETag, drawn once per distinct face (badge-maker is the costly part). */
function renderedBadge(format: BadgeFormat, face: BadgeAnswer["face"]) {
  const key = JSON.stringify([
    format,
    face.style,
    face.color,
    face.isError,
    face.label,
    face.message,
  ]);
  let rendered = RENDERED.get(key);
  if (rendered === undefined) {
    const body = format === "json" ? badgeJson(face) : badgeSvg(face);
    rendered = strongEtag(body).then((etag) => ({ body, etag }));
    RENDERED.set(key, rendered);
    if (RENDERED.size > MAX_RENDERED) {
      const oldest = RENDERED.keys().next();
      if (!oldest.done) RENDERED.delete(oldest.value);
    }
  }
  return rendered;
}

async function strongEtag(body: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(body));
  const hex = Array.from(
    new Uint8Array(digest).subarray(0, 16),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
  return `"${hex}"`;
}

/** `If-None-Match` compares weakly (RFC 9110 13.1.2): a `W/` prefix does not stop a match. */
function etagMatches(header: string | null, etag: string): boolean {
  if (header === null) return false;
  return header.split(",").some((tag) => {
    const value = tag.trim();
    return value === "*" || value.replace(/^W\//, "") === etag;
  });
}
