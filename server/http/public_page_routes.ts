/**
 * An application's public stats page: `GET /p/{slug}` (HTML, access
 * `public`) and `GET /p/{slug}.json` (the same figures). An application whose
 * owner has not turned the page on answers exactly as an unknown one (404).
 * Answers carry `Cache-Control: public, max-age=300`, a strong ETag over the
 * body and, once the rollups have a day, `Last-Modified` (when that day's
 * figures were computed); a matching `If-None-Match` is a 304. The figures
 * change once per rollup round at most, so the last bodies rendered (with
 * their tags) are kept, keyed by the figures themselves: a request whose
 * figures were rendered before is answered without rendering or hashing.
 */

import { ClientError } from "../errors.ts";
import { type BadgeContext, publicPageFigures } from "../stats/mod.ts";
import { htmlDocument, PAGE_HEADERS } from "../ui/render.ts";
import { PublicPage } from "../ui/PublicPage.tsx";
import { publicPageJson } from "./public_json.ts";
import type { Handler } from "./route_declaration.ts";

/** Seconds a public page may be cached by browsers and proxies. */
export const PUBLIC_PAGE_MAX_AGE = 300;

/** How many rendered bodies (HTML and JSON together) the handlers keep. */
const RENDERED_KEPT = 32;

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
  const rendered = new RenderedBodies(RENDERED_KEPT);
  return {
    page: async ({ request, params }) => {
      const figures = await figuresOf(params["slug"] ?? "");
      const { "cache-control": _, ...headers } = PAGE_HEADERS;
      const body = await rendered.get(
        `html|${JSON.stringify(figures)}`,
        () => htmlDocument(PublicPage({ figures })),
      );
      return cacheable(request, body, { ...headers, ...lastModified(figures.computedAt) });
    },
    json: async ({ request, params }) => {
      const figures = await figuresOf(params["slug"] ?? "");
      const body = await rendered.get(
        `json|${JSON.stringify(figures)}`,
        () => JSON.stringify(publicPageJson(figures)),
      );
      return cacheable(request, body, {
        "content-type": "application/json; charset=utf-8",
        "x-content-type-options": "nosniff",
        ...lastModified(figures.computedAt),
      });
    },
  };
}

/** A rendered body, encoded, and its strong ETag. */
interface RenderedBody {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly etag: string;
}

/**
 * The last `kept` bodies rendered, by key (the figures they were rendered
 * from, as JSON, so that a key names its body exactly), least recently used
 * dropped first.
 */
class RenderedBodies {
  readonly #kept: number;
  readonly #bodies = new Map<string, RenderedBody>();
  constructor(kept: number) {
    this.#kept = kept;
  }

  async get(key: string, render: () => string): Promise<RenderedBody> {
    const known = this.#bodies.get(key);
    if (known !== undefined) {
      this.#bodies.delete(key);
      this.#bodies.set(key, known);
      return known;
    }
    const bytes = new TextEncoder().encode(render());
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    const etag = `"${
      Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("")
    }"`;
    const body = { bytes, etag };
    this.#bodies.set(key, body);
    if (this.#bodies.size > this.#kept) this.#bodies.delete(this.#bodies.keys().next().value!);
    return body;
  }
}

/** The `Last-Modified` header of figures computed at `at` (none before the first rollup). */
function lastModified(at: Date | null): Record<string, string> {
  return at === null ? {} : { "last-modified": at.toUTCString() };
}

/** A 200 with `body` and public caching; a 304 when `If-None-Match` names its tag. */
function cacheable(
  request: Request,
  body: RenderedBody,
  headers: Record<string, string>,
): Response {
  const { bytes, etag } = body;
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
