/**
 * The results a stats question gives instead of its figures: discriminated by
 * `kind`, so that `http/` picks the status and the words, and stats never does.
 */

/** No application has the slug asked for. */
export interface UnknownApp {
  readonly kind: "unknown_app";
}

/** The one {@linkcode UnknownApp} value. */
export const UNKNOWN_APP: UnknownApp = Object.freeze({ kind: "unknown_app" });

/** A page cursor this server did not make (or made for another list or order). */
export interface InvalidCursor {
  readonly kind: "invalid_cursor";
}

/** The one {@linkcode InvalidCursor} value. */
export const INVALID_CURSOR: InvalidCursor = Object.freeze({ kind: "invalid_cursor" });
