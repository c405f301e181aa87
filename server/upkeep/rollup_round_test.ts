import assert from "node:assert/strict";
import { rollupPause } from "./rollup_round.ts";

Deno.test("rollupPause() waits nine times the round, at least 15 s, at most the interval", () => {
  const fiveMinutes = 300_000;
  assert.equal(rollupPause(20, fiveMinutes), 15_000, "a quick round: the floor");
  assert.equal(rollupPause(4_000, fiveMinutes), 36_000, "a 4 s round: 36 s");
  assert.equal(rollupPause(60_000, fiveMinutes), fiveMinutes, "a long round: the interval");
  assert.equal(rollupPause(20, 1_000), 1_000, "an interval under the floor wins");
  assert.equal(rollupPause(0, 0), 0);
});
