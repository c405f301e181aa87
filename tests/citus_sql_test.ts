/**
 * docs/citus.sql (the plan for Citus, on paper) against the migrations:
 * every table a migration up to the one its header says it was reviewed
 * through is named in it (the tables of later migrations are printed as
 * still to be decided), and after all the migrations the file runs to its end
 * with empty stand-ins for Citus's functions, so that its plain statements,
 * the names of the keys it drops and the calls' syntax hold. Nothing of
 * Citus's own behaviour is checked: no Citus here. Both stores, by
 * SHM_TEST_STORE.
 */

import assert from "node:assert/strict";
import { MIGRATIONS } from "../migrations/mod.ts";
import { sql } from "../server/store/mod.ts";
import { openTestDatabase } from "./support/store.ts";

const CITUS_SQL = await Deno.readTextFile(new URL("../docs/citus.sql", import.meta.url));

/** The migration the file says it was reviewed through. */
function reviewedThrough(): number {
  const match = /Reviewed through migration (\d{4})\b/.exec(CITUS_SQL);
  assert.ok(match?.[1], 'docs/citus.sql says "Reviewed through migration NNNN"');
  return Number(match[1]);
}

/** The tables a migration's SQL creates (not partitions, which follow their parent). */
function tablesCreated(script: string): string[] {
  const code = script.replaceAll(/--[^\n]*/g, "");
  return [
    ...code.matchAll(
      /create\s+(?:unlogged\s+)?table\s+(?:if\s+not\s+exists\s+)?(\w+)(\s+partition\s+of)?/gi,
    ),
  ]
    .filter((match) => match[2] === undefined)
    .map((match) => match[1]!.toLowerCase());
}

Deno.test("citus.sql names every table of the migrations it was reviewed through", () => {
  const through = reviewedThrough();
  assert.ok(
    MIGRATIONS.some((m) => m.version === through),
    `migration ${through} exists`,
  );
  const named = new Set(
    [...CITUS_SQL.matchAll(/\b[a-z_]+\b/g)].map((match) => match[0]),
  );
  const missing: string[] = [];
  const later: string[] = [];
  for (const migration of MIGRATIONS) {
    for (const table of tablesCreated(migration.sql)) {
      if (named.has(table)) continue;
      (migration.version <= through ? missing : later).push(`${migration.name}: ${table}`);
    }
  }
  assert.deepEqual(missing, [], "tables whose kind docs/citus.sql does not say");
  if (later.length > 0) {
    // deno-lint-ignore no-console -- what is left to decide must show in the test output
    console.log(
      `docs/citus.sql is reviewed through migration ${
        String(through).padStart(4, "0")
      }; still to decide: ${later.join(", ")}`,
    );
  }
});

/** Empty functions with Citus's names and parameters, so that the calls run. */
const CITUS_STAND_INS = `
create function create_reference_table(table_name regclass) returns void
  language sql as '';
create function create_distributed_table(table_name regclass, distribution_column text,
  colocate_with text default 'default', shard_count integer default null) returns void
  language sql as '';
create function citus_add_local_table_to_metadata(table_name regclass,
  cascade_via_foreign_keys boolean default false) returns void
  language sql as '';
`;

Deno.test("citus.sql runs to its end after the migrations, with stand-ins for Citus's functions", async () => {
  await using store = await openTestDatabase();
  const { db } = store;
  await db.execScript(CITUS_STAND_INS);
  try {
    // Its own begin and commit become the driver's transaction (postgres.js takes no begin in a
    // script run on a pool); `set local` needs one.
    const body = CITUS_SQL.replace(/^begin;$/m, "").replace(/^commit;$/m, "");
    assert.notEqual(body, CITUS_SQL, "the file runs in one transaction");
    await db.transaction((tx) => tx.execScript(body));
    // What it changes in plain SQL took: the notes' key holds the distribution column, and the
    // foreign keys it dropped are there again.
    const [key] = await db.query<{ columns: string }>(sql`
      select string_agg(a.attname, ',' order by k.ord) as columns
      from pg_constraint c
      cross join lateral unnest(c.conkey) with ordinality k(attnum, ord)
      join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
      where c.conrelid = 'summary_changes'::regclass and c.contype = 'p'`);
    assert.equal(key?.columns, "instance_id,id");
    const [keys] = await db.query<{ n: number }>(sql`
      select count(*)::int as n from pg_constraint
      where contype = 'f' and confrelid in ('applications'::regclass, 'alert_rules'::regclass,
        'github_repos'::regclass)`);
    assert.ok((keys?.n ?? 0) >= 8, `foreign keys made again: ${keys?.n}`);
  } finally {
    // The embedded store is shared by this file's tests: its key goes back as the migration made
    // it.
    await db.execScript(`
      alter table summary_changes drop constraint summary_changes_pkey;
      alter table summary_changes add primary key (id);
      drop function create_reference_table(regclass);
      drop function create_distributed_table(regclass, text, text, integer);
      drop function citus_add_local_table_to_metadata(regclass, boolean);`);
  }
});
