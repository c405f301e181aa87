/** Numbers beyond a float's range either way reach the rollups' floats without an error. */

import assert from "node:assert/strict";
import { openTestDatabase } from "../../../tests/support/store.ts";
import { sql } from "../drivers/database.ts";
import { floatOf } from "./float_values.ts";

Deno.test("floatOf() takes any numeric to the nearest float it keeps: the largest beyond, 0 below the smallest normal", async () => {
  await using store = await openTestDatabase();
  const cases: [string | null, number | null][] = [
    ["1e400", 1.7976931348623157e308],
    ["-1e400", -1.7976931348623157e308],
    ["1.7976931348623157e308", 1.7976931348623157e308],
    ["1e-400", 0],
    ["-1e-400", 0],
    ["5e-324", 0],
    ["2.2250738585072014e-308", 2.2250738585072014e-308],
    ["1.5", 1.5],
    ["-42", -42],
    [null, null],
  ];
  for (const [input, expected] of cases) {
    const [row] = await store.db.query<{ f: number | null }>(
      sql`select ${floatOf(sql`${input}::numeric`)} as f`,
    );
    assert.equal(row?.f === null ? null : Number(row?.f), expected, `${input}`);
  }
});
