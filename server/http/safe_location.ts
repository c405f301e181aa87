/**
 * The one way a value becomes a `Location` header: a same-origin path of
 * printable ASCII, whatever the value was (a `next` parameter, a path built
 * from a slug). A header value that is not one would let a request crash the
 * HTTP layer, split a response or send a browser to another site.
 */

/** Longest location kept; a longer one falls back to `/`. */
const MAX_LOCATION_LENGTH = 2048;

/** A base no request can name: the parse below only tells whether the origin stays this one. */
const BASE = "http://location.invalid";

/**
 * What the target may not hold even before parsing: controls (C0, DEL, C1),
 * which URL parsers drop silently (`/\t/evil.example` becomes
 * `//evil.example`), and backslashes, which browsers read as `/`.
 */
// deno-lint-ignore no-control-regex
const REFUSED = /[\u0000-\u001f\u007f-\u009f\\]/;

/** What the result is made of: printable ASCII after a single leading `/`. */
const PRINTABLE_PATH = /^\/(?![/\\])[\x21-\x7e]*$/;

/**
 * Returns `target` as a path on this server, safe as a `Location` value: it
 * starts with exactly one `/`, holds only printable ASCII (non-ASCII
 * characters, spaces and quotes of an otherwise valid path are
 * percent-encoded as UTF-8), and resolves to this origin. Anything else — a
 * scheme, `//` or `/\` at the start, a backslash, a control character, broken
 * Unicode, a dot-segment that climbs to `//`, more than 2048 characters —
 * gives `/`.
 *
 * @example
 * ```ts
 * safeLocation("/apps/x/instances?environment=生产");
 * // "/apps/x/instances?environment=%E7%94%9F%E4%BA%A7"
 * safeLocation("/\t/evil.example"); // "/"
 * ```
 */
export function safeLocation(target: string | null | undefined): string {
  if (
    typeof target !== "string" || !target.startsWith("/") || target.length > MAX_LOCATION_LENGTH
  ) {
    return "/";
  }
  if (target.startsWith("//") || REFUSED.test(target) || !target.isWellFormed()) return "/";
  let url: URL;
  try {
    url = new URL(target, BASE);
  } catch {
    return "/";
  }
  if (url.origin !== BASE) return "/";
  const path = `${url.pathname}${url.search}${url.hash}`;
  if (path.length > MAX_LOCATION_LENGTH || !PRINTABLE_PATH.test(path)) return "/";
  return path;
}
