/**
 * An application's public stats page: `GET /p/{slug}` (HTML, access
 * `public`) and `GET /p/{slug}.json` (the same figures). An application whose
 * owner has not turned the page on answers exactly as an unknown one (404).
 * Answers carry `Cache-Control: public, max-age=300`, a strong ETag over the
 * body and, once the rollups have a day, `Last-Modified` (when that day's
 * figures were computed); a matching `If-None-Match` is a 304.
 */

import { ClientError } from "../errors.ts";
import { type BadgeContext, publicPageFigures } from "../stats/mod.ts";
import { htmlDocument, PAGE_HEADERS } from "../ui/render.ts";
import { PublicPage } from "../ui/PublicPage.tsx";
import { publicPageJson } from "./public_json.ts";
import type { Handler } from "./route_declaration.ts";

/** Seconds a public page may be cached by browsers and proxies. */
export const PUBLIC_PAGE_MAX_AGE = 300;

/** What the public page is built from: the badges' context (threshold, cache, store, clock). */
export interface PublicPageDeps {
  readonly badges: BadgeContext;
}

/** The handlers of `GET /p/{slug}` (`page`) and `GET /p/{slug}.json` (`json`). */
export function publicPageHandlers(deps: PublicPageDeps): {
  page: Handler<"public">;
  json: Handler<"public">;
} {
  const figuresOf = async (slug: string) => {
    const figures = await publicPageFigures(deps.badges, slug);
    if (figures.kind === "hidden") {
      throw new ClientError(404, "not_found", `No public page is at /p/${slug}`);
    }
    return figures;
  };
  return {
    page: async ({ request, params }) => {
      const figures = await figuresOf(params["slug"] ?? "");
      const { "cache-control": _, ...headers } = PAGE_HEADERS;
      return await cacheable(request, htmlDocument(PublicPage({ figures })), {
        ...headers,
        ...lastModified(figures.computedAt),
      });
    },
    json: async ({ request, params }) => {
      const figures = await figuresOf(params["slug"] ?? "");
      return await cacheable(request, JSON.stringify(publicPageJson(figures)), {
        "content-type": "application/json; charset=utf-8",
        "x-content-type-options": "nosniff",
        ...lastModified(figures.computedAt),
      });
    },
  };
}

/** The `Last-Modified` header of figures computed at `at` (none before the first rollup). */
function lastModified(at: Date | null): Record<string, string> {
  return at === null ? {} : { "last-modified": at.toUTCString() };
}

/** A 200 with `body`, its ETag and public caching; a 304 when `If-None-Match` names the tag. */
async function cacheable(
  request: Request,
  body: string,
  headers: Record<string, string>,
): Promise<Response> {
  const bytes = new TextEncoder().encode(body);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const etag = `"${
    Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("")
  }"`;
  const caching = { "cache-control": `public, max-age=${PUBLIC_PAGE_MAX_AGE}`, etag };
  const wanted = request.headers.get("if-none-match");
  if (wanted !== null && wanted.split(",").some((tag) => matches(tag.trim(), etag))) {
    return new Response(null, { status: 304, headers: caching });
  }
  return new Response(bytes, { status: 200, headers: { ...headers, ...caching } });
}

/** `If-None-Match` compares weakly (RFC 9110 13.1.2): a `W/` prefix does not stop a match. */
function matches(tag: string, etag: string): boolean {
  return tag === "*" || tag.replace(/^W\//, "") === etag;
}
