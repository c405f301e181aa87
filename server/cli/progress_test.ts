import assert from "node:assert/strict";
import { progressWriter } from "./progress.ts";

function run(terminal: boolean, calls: [string, number][]): string[] {
  const written: string[] = [];
  const show = progressWriter(terminal, (text) => written.push(text));
  for (const [text, fraction] of calls) show(text, fraction);
  return written;
}

const hundredSteps = Array.from({ length: 101 }, (_, i): [string, number] => [`${i}%`, i / 100]);

Deno.test("progressWriter() in a log prints one line per tenth and the last, per stage", () => {
  const written = run(false, [...hundredSteps, ["rollups 0", 0], ["rollups 1", 0.5], [
    "rollups 2",
    1,
  ]]);
  assert.deepEqual(written, [
    ...[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((n) => `${n}%\n`),
    "rollups 0\n",
    "rollups 1\n",
    "rollups 2\n",
  ]);
});

Deno.test("progressWriter() on a terminal rewrites one line and ends it at the last", () => {
  const written = run(true, [["a", 0], ["b", 0.5], ["c", 1]]);
  assert.deepEqual(written, ["\r\x1b[Ka", "\r\x1b[Kb", "\r\x1b[Kc\n"]);
});

Deno.test("progressWriter() prints the last line once even when it is repeated", () => {
  assert.deepEqual(run(false, [["x", 1], ["x", 1]]), ["x\n"]);
});
