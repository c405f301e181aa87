import assert from "node:assert/strict";
import { fc } from "../../../tests/support/dev_deps.ts";
import { sql, type SqlQuery } from "./database.ts";

/** Calls the tag the way a template literal would, for templates built at run time. */
function tag(strings: readonly string[], values: readonly unknown[]): SqlQuery {
  const template = Object.assign([...strings], { raw: [...strings] });
  return sql(template as unknown as TemplateStringsArray, ...values);
}

/** The placeholder numbers in `text`, in order of appearance. */
function placeholders(text: string): number[] {
  return [...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
}

Deno.test("sql keeps a query without values as it is", () => {
  assert.deepEqual(sql`select 1`, { text: "select 1", params: [] });
});

Deno.test("sql numbers placeholders from $1 in order and binds the values", () => {
  const when = new Date("2026-11-25T10:00:00Z");
  const q =
    sql`select * from instances where instance_id = ${"abc"} and last_seen > ${when} and n = ${3}`;
  assert.equal(
    q.text,
    "select * from instances where instance_id = $1 and last_seen > $2 and n = $3",
  );
  assert.deepEqual(q.params, ["abc", when, 3]);
  assert.equal(q.params[1], when, "values are bound as they are, not copied or converted");
});

Deno.test("sql never writes a value into the SQL text", () => {
  const evil = "'; drop table instances; --";
  const q = sql`select * from applications where slug = ${evil}`;
  assert.equal(q.text, "select * from applications where slug = $1");
  assert.deepEqual(q.params, [evil]);
});

Deno.test("sql binds null, undefined, numbers and objects as parameters", () => {
  const json = { a: 1 };
  const q = sql`values (${null}, ${undefined}, ${0}, ${json}, ${[1, 2]})`;
  assert.equal(q.text, "values ($1, $2, $3, $4, $5)");
  assert.deepEqual(q.params, [null, undefined, 0, json, [1, 2]]);
});

Deno.test("sql inlines a nested query and renumbers its placeholders", () => {
  const filter = sql`a.slug = ${"my-app"} and a.id > ${7}`;
  const q = sql`select * from applications a where a.kind = ${"x"} and ${filter} limit ${10}`;
  assert.equal(
    q.text,
    "select * from applications a where a.kind = $1 and a.slug = $2 and a.id > $3 limit $4",
  );
  assert.deepEqual(q.params, ["x", "my-app", 7, 10]);
});

Deno.test("sql inlines a nested query without values unchanged", () => {
  const q = sql`select * from t where ${sql`true`} and id = ${5}`;
  assert.deepEqual(q, { text: "select * from t where true and id = $1", params: [5] });
});

Deno.test("sql renumbers conditions joined one by one", () => {
  const conditions = [sql`true`, sql`i.app_id = ${4}`, sql`i.status = ${"active"}`];
  const where = conditions.reduce((all, next) => sql`${all} and ${next}`);
  const q = sql`select * from instances i where ${where} limit ${50}`;
  assert.equal(
    q.text,
    "select * from instances i where true and i.app_id = $1 and i.status = $2 limit $3",
  );
  assert.deepEqual(q.params, [4, "active", 50]);
});

Deno.test("sql renumbers two-digit placeholders without mixing $1 and $11", () => {
  const values = Array.from({ length: 12 }, (_, i) => `v${i + 1}`);
  const inner = tag(["", ...values.map((_, i) => (i === values.length - 1 ? "" : ","))], values);
  assert.equal(inner.text, "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12");
  const q =
    sql`select ${"a"}, ${"b"}, ${"c"}, ${"d"}, ${"e"}, ${"f"}, ${"g"}, ${"h"}, ${"i"}, ${inner}`;
  assert.deepEqual(placeholders(q.text), Array.from({ length: 21 }, (_, i) => i + 1));
  assert.deepEqual(q.params, ["a", "b", "c", "d", "e", "f", "g", "h", "i", ...values]);
});

Deno.test("sql inlines the same nested query twice with its values bound twice", () => {
  const part = sql`x = ${1}`;
  const q = sql`${part} or ${part}`;
  assert.deepEqual(q, { text: "x = $1 or x = $2", params: [1, 1] });
  assert.deepEqual(part, { text: "x = $1", params: [1] }, "the nested query is left as it was");
});

// ---- property ----

type Tree = { value: number } | { nested: Tree[] };

const treeArb: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.integer().map((value) => ({ value })),
    fc.array(tie("tree"), { maxLength: 5 }).map((nested) => ({ nested })),
  ),
})).tree;

/** Builds the query for a tree: every item is a parameter or a nested query, separated by `|`. */
function build(items: readonly Tree[]): SqlQuery {
  const values = items.map((item) => "value" in item ? item.value : build(item.nested));
  const strings = items.length === 0
    ? ["()"]
    : ["(", ...Array<string>(items.length - 1).fill("|"), ")"];
  return tag(strings, values);
}

/** What the query should read with each value written where its placeholder is. */
function render(items: readonly Tree[]): string {
  return `(${
    items.map((item) => "value" in item ? `<${item.value}>` : render(item.nested)).join("|")
  })`;
}

Deno.test("sql numbers the placeholders of any nesting 1…n, each bound to its own value (property)", () => {
  fc.assert(fc.property(fc.array(treeArb, { maxLength: 6 }), (items) => {
    const q = build(items);
    assert.deepEqual(placeholders(q.text), q.params.map((_, i) => i + 1));
    const filled = q.text.replace(/\$(\d+)/g, (_m, n) => `<${q.params[Number(n) - 1]}>`);
    assert.equal(filled, render(items));
  }));
});
