import assert from "node:assert/strict";
import { MIGRATIONS } from "./mod.ts";

Deno.test("MIGRATIONS lists every SQL file of the folder, numbered 1, 2, 3… in order", async () => {
  const files: string[] = [];
  for await (const entry of Deno.readDir(new URL(".", import.meta.url))) {
    if (entry.isFile && entry.name.endsWith(".sql")) files.push(entry.name);
  }
  files.sort();
  assert.deepEqual(MIGRATIONS.map((m) => m.name), files);
  assert.deepEqual(MIGRATIONS.map((m) => m.version), files.map((_, i) => i + 1));
  for (const [i, m] of MIGRATIONS.entries()) {
    assert.ok(m.name.startsWith(String(i + 1).padStart(4, "0") + "_"), m.name);
    const text = await Deno.readTextFile(new URL(m.name, import.meta.url));
    assert.equal(m.sql, text, `${m.name} is embedded as it is on disk`);
  }
});
