/** RFC 3339 timestamps, read strictly. */

import { ClientError } from "../errors.ts";

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** A parsed timestamp: its instant and a canonical spelling PostgreSQL reads the same way. */
export interface Timestamp {
  /** Milliseconds since the epoch. */
  readonly epochMs: number;
  /** The same instant in UTC, RFC 3339 with every digit of the fraction kept, e.g. `2026-11-25T10:00:00.123456Z`. */
  readonly text: string;
}

/**
 * Parses an RFC 3339 date-time (`2026-11-25T10:00:00Z`, with optional
 * fraction and a `Z` or `±hh:mm` offset). Returns null for anything else,
 * including dates that do not exist, such as February 30.
 */
export function parseRfc3339(text: string): Timestamp | null {
  const m = RFC3339.exec(text);
  if (m === null) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as number[] as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fraction = m[7] ?? "";
  const offsetSign = m[9] === "-" ? -1 : 1;
  const offsetHours = Number(m[10] ?? 0);
  const offsetMinutes = Number(m[11] ?? 0);
  if (
    year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 ||
    second > 60 || offsetHours > 23 || offsetMinutes > 59
  ) return null;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0-99 as 1900-1999.
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCDate() !== day) return null;
  const dayStart = date.getTime();
  const fractionMs = fraction === "" ? 0 : Number(fraction.slice(1, 4).padEnd(3, "0"));
  const offsetMs = offsetSign * (offsetHours * 60 + offsetMinutes) * 60_000;
  const epochMs = dayStart + ((hour * 60 + minute) * 60 + second) * 1000 + fractionMs - offsetMs;
  // UTC text keeps the fraction's every digit, and PostgreSQL reads it whatever the offset
  // (it refuses offsets past 15:59, which RFC 3339 allows) or a leap second.
  const wholeSeconds = new Date(epochMs - fractionMs).toISOString().slice(0, 19);
  return { epochMs, text: `${wholeSeconds}${fraction}Z` };
}

/**
 * Reads a body's `timestamp` field: an RFC 3339 date-time, or a 400
 * `invalid_field` naming the field and showing what was sent.
 */
export function requireTimestamp(value: unknown): Timestamp {
  const parsed = typeof value === "string" ? parseRfc3339(value) : null;
  if (parsed === null) {
    throw new ClientError(
      400,
      "invalid_field",
      `Cannot accept "timestamp" as it must be an RFC 3339 date-time such as ` +
        `2026-11-25T10:00:00Z: current value is ${JSON.stringify(value)?.slice(0, 80)}`,
    );
  }
  return parsed;
}

/** Describes how far `epochMs` is from `nowMs` in words, e.g. "3 h in the future", "9 d in the past". */
export function describeOffset(epochMs: number, nowMs: number): string {
  const diff = epochMs - nowMs;
  const abs = Math.abs(diff);
  const size = abs >= 86_400_000
    ? `${Math.round(abs / 86_400_000)} d`
    : abs >= 3_600_000
    ? `${Math.round(abs / 3_600_000)} h`
    : abs >= 60_000
    ? `${Math.round(abs / 60_000)} min`
    : `${Math.round(abs / 1000)} s`;
  return `${size} in the ${diff > 0 ? "future" : "past"}`;
}
