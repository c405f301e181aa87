/** Turning raw request bytes into a JSON object, with a clear 400 for anything else. */

import { ClientError } from "../errors.ts";

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** A parsed JSON object body. */
export type JsonObject = Record<string, unknown>;

/**
 * Parses `bytes` as a UTF-8 JSON object. Throws a 400 {@linkcode ClientError}
 * when the bytes are not UTF-8, not JSON, or JSON but not an object.
 */
export function parseJsonObject(bytes: Uint8Array): JsonObject {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new ClientError(400, "malformed_json", "Cannot read the body as it is not valid UTF-8");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ClientError(400, "malformed_json", `Cannot parse the body as JSON: ${detail}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ClientError(
      400,
      "invalid_body",
      `Cannot accept the body as it is not a JSON object: it is ${describeJsonType(value)}`,
    );
  }
  return value as JsonObject;
}

/** Names the JSON type of a value for error messages ("an array", "a string", …). */
export function describeJsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}
