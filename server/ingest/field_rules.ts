/** The checks every body field goes through; each failure names the field. */

import { ClientError } from "../errors.ts";
import { isDisplayText, isStorableText, isUuid } from "../../shared/text_rules.ts";
import { describeJsonType, type JsonObject } from "./json_body.ts";

export { isStorableText, isUuid };

const HEX = /^[0-9a-f]*$/i;

/** Returns a required UUID field in canonical lowercase form, or throws 400 naming the field. */
export function requireUuid(body: JsonObject, field: string): string {
  const value = body[field];
  if (typeof value !== "string" || !isUuid(value)) {
    throw invalidField(field, "a UUID", value);
  }
  return value.toLowerCase();
}

/** Decodes hex text of exactly `bytes` bytes; null when it is not. */
export function decodeHex(text: string, bytes: number): Uint8Array | null {
  if (text.length !== bytes * 2 || !HEX.test(text)) return null;
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Returns a required hex field of `bytes` bytes, decoded, or throws 400 naming the field. */
export function requireHex(body: JsonObject, field: string, bytes: number): Uint8Array {
  const value = body[field];
  const decoded = typeof value === "string" ? decodeHex(value, bytes) : null;
  if (decoded === null) throw invalidField(field, `${bytes * 2} hex characters`, value);
  return decoded;
}

/** Returns a required text field of `min`–`max` characters, or throws 400 naming the field. */
export function requireText(
  body: JsonObject,
  field: string,
  length: { min: number; max: number },
): string {
  const value = body[field];
  if (typeof value !== "string") throw invalidField(field, "a string", value);
  checkText(field, value, length);
  return value;
}

/**
 * Returns an optional text field of at most `max` characters; absent, null
 * and empty all give null. Throws 400 naming the field for anything else.
 */
export function optionalText(body: JsonObject, field: string, max: number): string | null {
  const value = body[field];
  if (value === undefined || value === null || value === "") return null;
  if (typeof value !== "string") throw invalidField(field, "a string or null", value);
  checkText(field, value, { min: 1, max });
  return value;
}

/**
 * Returns `value` trimmed when it would pass as an optional text field of at
 * most `max` characters (see {@linkcode optionalText}) and holds no control
 * or bidirectional character, else null; never throws. For values the server
 * derives from metrics, where a refusal is not the client's to read.
 */
export function acceptableText(value: unknown, max: number): string | null {
  if (typeof value !== "string" || !isStorableText(value) || !isDisplayText(value)) return null;
  const trimmed = value.trim();
  if (trimmed === "" || characterCount(trimmed) > max) return null;
  return trimmed;
}

/**
 * Returns a required name field (1 to `max` characters, trimmed) that
 * follows the display-text rule (no control or bidirectional characters), or
 * throws 400 naming the field.
 */
export function requireDisplayName(body: JsonObject, field: string, max: number): string {
  const value = requireText(body, field, { min: 1, max }).trim();
  if (!isDisplayText(value)) {
    throw new ClientError(
      400,
      "invalid_field",
      `Cannot accept "${field}" as it holds a control character or a bidirectional control: ` +
        `${JSON.stringify(value).slice(0, 120)}`,
    );
  }
  return value;
}

/** Counts characters as a person would (code points, not UTF-16 units). */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

function checkText(field: string, value: string, length: { min: number; max: number }): void {
  if (!isStorableText(value)) {
    throw new ClientError(
      400,
      "invalid_field",
      `Cannot accept "${field}" as it holds a NUL character or broken Unicode`,
    );
  }
  const count = value.trim() === "" ? 0 : characterCount(value);
  if (count < length.min || count > length.max) {
    throw new ClientError(
      400,
      "invalid_field",
      `Cannot accept "${field}" as it must have ${length.min} to ${length.max} characters: ` +
        `it has ${count}`,
    );
  }
}

function invalidField(field: string, expected: string, value: unknown): ClientError {
  const got = value === undefined ? "it is missing" : `it is ${describeJsonType(value)}`;
  const shown = typeof value === "string" ? `: "${value.slice(0, 80)}"` : "";
  return new ClientError(
    400,
    "invalid_field",
    `Cannot accept "${field}" as it must be ${expected} and ${got}${shown}`,
  );
}
