import assert from "node:assert/strict";
import fc from "npm:fast-check@^4.3.0";
import { INSTANCE_SORTS, instanceCursor, readInstanceCursor } from "./instance_paging.ts";

const ID = "0b4a6f8e-1c2d-4e5f-8a9b-0c1d2e3f4a5b";

Deno.test("readInstanceCursor() reads the admin API's cursors as they have always been written", () => {
  // base64url of "1764590400000000/<id>", no padding: the admin API's wire format.
  const cursor = btoa(`1764590400000000/${ID}`).replaceAll("+", "-").replaceAll("/", "_")
    .replaceAll("=", "");
  assert.equal(instanceCursor({ sortKey: "1764590400000000", instanceId: ID }), cursor);
  assert.deepEqual(readInstanceCursor(cursor), { sortKey: "1764590400000000", instanceId: ID });
});

Deno.test("readInstanceCursor() gives back the key of every cursor instanceCursor() makes, for its own sort only", () => {
  const key = fc.record({
    sortKey: fc.oneof(
      fc.bigInt({ min: -315_569_520_000_000_000n, max: 315_569_520_000_000_000n }).map(String),
      fc.string({ unit: "grapheme", maxLength: 60 }),
    ),
    instanceId: fc.uuid(),
  });
  fc.assert(fc.property(key, fc.constantFrom(...INSTANCE_SORTS), (key, sort) => {
    const isTime = /^-?\d{1,19}$/.test(key.sortKey);
    if (sort !== "version" && !isTime) return;
    const cursor = instanceCursor(key, sort);
    assert.deepEqual(readInstanceCursor(cursor, sort), { ...key });
    for (const other of INSTANCE_SORTS.filter((s) => s !== sort)) {
      assert.equal(readInstanceCursor(cursor, other), "invalid", `${sort} cursor read as ${other}`);
    }
    assert.equal(readInstanceCursor(cursor), "invalid", "a sorted cursor read by the admin API");
  }));
});

Deno.test("readInstanceCursor() refuses what this server did not make, and never throws", () => {
  assert.equal(readInstanceCursor(undefined), undefined);
  for (const bad of ["", "!!!", "bm90IGEgY3Vyc29y", btoa(`99999999999999999999/${ID}`)]) {
    assert.equal(readInstanceCursor(bad), "invalid", bad);
    assert.equal(readInstanceCursor(bad, "last_seen"), "invalid", bad);
  }
  fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => {
    const read = readInstanceCursor(text, "version");
    assert.ok(read === "invalid" || typeof read?.instanceId === "string");
  }));
});
