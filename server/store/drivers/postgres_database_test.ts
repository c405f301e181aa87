import assert from "node:assert/strict";
import { sql } from "./database.ts";
import { openPostgresDatabase, withArrayLiterals } from "./postgres_database.ts";
import { freshPostgresDatabase, TEST_STORE_KIND } from "../../../tests/support/store.ts";

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

Deno.test({
  name: "statements are prepared on the server when the driver is told to, and only then",
  ignore: TEST_STORE_KIND !== "postgres",
  async fn() {
    await using database = await freshPostgresDatabase();
    if (database.setting.kind !== "postgres") throw new Error("a PostgreSQL database");
    for (const prepare of [true, false]) {
      const db = openPostgresDatabase(database.setting.url, { maxConnections: 1, prepare });
      try {
        for (let i = 0; i < 3; i++) {
          await db.query(sql`select ${i}::int as n, 'prepared-statement-probe' as marker`);
        }
        await db.transaction((tx) =>
          tx.query(sql`select ${1}::int, 'prepared-in-transaction-probe'`)
        );
        const [row] = await db.query<{ outside: number; inside: number }>(sql`
          select
            count(*) filter (where statement like '%prepared-statement-probe%')::int as outside,
            count(*) filter (where statement like '%prepared-in-transaction-probe%')::int as inside
          from pg_prepared_statements`);
        assert.deepEqual(row, prepare ? { outside: 1, inside: 1 } : { outside: 0, inside: 0 });
      } finally {
        await db.close();
      }
    }
  },
});
