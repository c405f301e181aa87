import assert from "node:assert/strict";
import { MIGRATIONS } from "./mod.ts";

// Numbers are handed out ahead of the work, so one may land before a smaller one: a gap is allowed,
// an order or a number that differs from the file's is not.
Deno.test("MIGRATIONS lists every SQL file of the folder, in the order of their numbers", async () => {
  const files: string[] = [];
  for await (const entry of Deno.readDir(new URL(".", import.meta.url))) {
    if (entry.isFile && entry.name.endsWith(".sql")) files.push(entry.name);
  }
  files.sort();
  assert.deepEqual(MIGRATIONS.map((m) => m.name), files);
  assert.deepEqual(MIGRATIONS.map((m) => m.version), files.map((name) => Number(name.slice(0, 4))));
  for (const [i, m] of MIGRATIONS.entries()) {
    assert.ok(m.name.startsWith(String(m.version).padStart(4, "0") + "_"), m.name);
    assert.ok(i === 0 || m.version > (MIGRATIONS[i - 1]?.version ?? 0), m.name);
    const text = await Deno.readTextFile(new URL(m.name, import.meta.url));
    assert.equal(m.sql, text, `${m.name} is embedded as it is on disk`);
  }
});
