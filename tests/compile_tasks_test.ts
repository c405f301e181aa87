/**
 * The `compile` tasks: every one builds the same entry point with the same
 * permission flags, `compile:all` once per target `deno compile` offers. They
 * cannot run here (the runtime download is unreachable), so their text is checked.
 */

import assert from "node:assert/strict";

const REPO = new URL("../", import.meta.url).pathname;
const TARGETS = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
];

function parse(command: string) {
  const words = command.trim().split(/\s+/);
  const at = (flag: string) => words[words.indexOf(flag) + 1];
  return {
    program: words.slice(0, 2).join(" "),
    permissions: words.filter((w) => w.startsWith("--allow-")).sort(),
    target: words.includes("--target") ? at("--target") : null,
    output: at("--output"),
    entry: words.at(-1),
  };
}

Deno.test("compile tasks: one per target, each with the compile task's flags and entry point", async () => {
  const tasks: Record<string, string> = JSON.parse(await Deno.readTextFile(`${REPO}deno.json`))
    .tasks;
  const single = parse(tasks["compile"] ?? "");
  assert.equal(single.program, "deno compile");
  assert.equal(single.entry, "server/main.ts");
  assert.ok(!single.permissions.includes("--allow-all"), "never -A");
  const all = (tasks["compile:all"] ?? "").split("&&").map(parse);
  assert.deepEqual(all.map((c) => c.target), TARGETS);
  for (const command of all) {
    assert.equal(command.program, "deno compile");
    assert.deepEqual(command.permissions, single.permissions, command.target ?? "");
    assert.equal(command.entry, single.entry);
    assert.equal(command.output, `dist/shm-${command.target}`);
  }
  assert.ok(!(tasks["compile:all"] ?? "").includes(" -A"), "never -A");
});
