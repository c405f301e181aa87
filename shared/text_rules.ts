/**
 * The character sets of the names the server takes from outside: application
 * slugs, instance ids, metric keys and display text. One rule each, shared by
 * every layer that checks them (ingestion, routes, badges, imports), so that
 * a value one place accepts is never refused by another. Usernames have their
 * rule in `account_rules.ts`.
 */

/** Longest application slug: a 100-character name lowercases to at most 200. */
export const MAX_SLUG_LENGTH = 200;

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const METRIC_KEY = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * What display text never holds: C0 and C1 controls and DEL, the line and
 * paragraph separators, and the bidirectional marks, embeddings, overrides
 * and isolates (U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069), which
 * can make a name read as another.
 */
// deno-lint-ignore no-control-regex
const HIDDEN_CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
// deno-lint-ignore no-control-regex
const HIDDEN_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** Whether `text` is an application slug: `a-z`, `0-9` and single inner dashes, 1 to 200 long. */
export function isAppSlug(text: string): boolean {
  return text.length <= MAX_SLUG_LENGTH && SLUG.test(text);
}

/** Whether `text` is a UUID of any version, in either case. */
export function isUuid(text: string): boolean {
  return UUID.test(text);
}

/** Whether `text` is a metric key as the protocol allows it: `[A-Za-z0-9_.:-]{1,64}`. */
export function isMetricKey(text: string): boolean {
  return METRIC_KEY.test(text);
}

/** Whether `text` can be stored as PostgreSQL text: well-formed Unicode without NUL. */
export function isStorableText(text: string): boolean {
  return text.isWellFormed() && !text.includes("\u0000");
}

/**
 * Whether `text` may be shown as a name (an application's name or display
 * name, a token's name, a badge label): well-formed Unicode without control
 * characters or bidirectional controls. Length limits are the caller's.
 */
export function isDisplayText(text: string): boolean {
  return text.isWellFormed() && !HIDDEN_CONTROL.test(text);
}

/**
 * `text` made safe to echo in a message or a page: control and bidirectional
 * characters and broken Unicode become U+FFFD, and it is cut to `max`
 * characters (code points, so a pair is never split).
 */
export function printableText(text: string, max: number): string {
  const chars = [...text.toWellFormed().replace(HIDDEN_CONTROLS, "\ufffd")];
  return chars.length > max ? chars.slice(0, max).join("") : chars.join("");
}
