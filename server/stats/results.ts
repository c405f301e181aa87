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

/** No instance has the id asked for (or the text asked for is no instance id). */
export interface UnknownInstance {
  readonly kind: "unknown_instance";
}

/** The one {@linkcode UnknownInstance} value. */
export const UNKNOWN_INSTANCE: UnknownInstance = Object.freeze({ kind: "unknown_instance" });

/** A page cursor this server did not make (or made for another list or order). */
export interface InvalidCursor {
  readonly kind: "invalid_cursor";
}

/** The one {@linkcode InvalidCursor} value. */
export const INVALID_CURSOR: InvalidCursor = Object.freeze({ kind: "invalid_cursor" });
