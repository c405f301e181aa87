import assert from "node:assert/strict";
import { sql } from "./database.ts";
import { withArrayLiterals } from "./postgres_database.ts";

Deno.test("withArrayLiterals() writes arrays cast to an array type as literals, nothing else", () => {
  const ids = ["6f1c7f4e-1111-4f1c-8f1c-6f1c7f4e1111", "6f1c7f4e-2222-4f1c-8f1c-6f1c7f4e2222"];
  const query = sql`select * from unnest(${ids}::uuid[], ${[
    "a",
    null,
    'say "hi"',
    "back\\slash",
  ]}::text[],
    ${[1, 2]}::int[]) where payload = ${["kept", "as", "is"]} and n = ${3}`;
  assert.deepEqual(withArrayLiterals(query), [
    `{"${ids[0]}","${ids[1]}"}`,
    '{"a",NULL,"say \\"hi\\"","back\\\\slash"}',
    '{"1","2"}',
    ["kept", "as", "is"],
    3,
  ]);
  assert.deepEqual(withArrayLiterals(sql`select ${[]}::date[]`), ["{}"]);
  assert.deepEqual(withArrayLiterals(sql`select ${[["a"], ["b"]]}::text[]`), ['{{"a"},{"b"}}']);
});
