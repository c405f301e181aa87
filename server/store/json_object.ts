/** Reading back the jsonb columns that hold a JSON object. */

/**
 * The object a jsonb column that holds a JSON object hands back. Both drivers
 * parse jsonb, so a value is an object; a string is a row that an earlier
 * version stored through the PostgreSQL driver as a jsonb string holding the
 * object's JSON text (migration 0017 turns those into the objects) and is
 * parsed. Anything else (a string that is not an object's JSON text, an
 * array, a number, null) is an empty object. Never throws.
 */
export function storedJsonObject(value: unknown): Record<string, unknown> {
  let parsed = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      return {};
    }
  }
  return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
    ? parsed as Record<string, unknown>
    : {};
}
