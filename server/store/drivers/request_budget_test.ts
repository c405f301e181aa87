import assert from "node:assert/strict";
import { StoreUnavailableError } from "../../errors.ts";
import {
  outsideStoreBudget,
  runWithinStoreBudget,
  waitWithinStoreBudget,
} from "./request_budget.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Records the time left each wait was given, then waits `ms`. */
function waitFor(ms: number, given: (number | null)[]): Promise<void> {
  return waitWithinStoreBudget(async (leftMs) => {
    given.push(leftMs);
    await sleep(ms);
  });
}

Deno.test("waitWithinStoreBudget() gives no limit outside a budget", async () => {
  const given: (number | null)[] = [];
  await waitFor(1, given);
  await runWithinStoreBudget(1_000, () => outsideStoreBudget(() => waitFor(1, given)));
  assert.deepEqual(given, [null, null]);
});

Deno.test("waits one after another share the budget; time between them is free", async () => {
  const given: (number | null)[] = [];
  await runWithinStoreBudget(2_000, async () => {
    await waitFor(150, given);
    await sleep(1_000); // not waiting for the store: not counted
    await waitFor(1, given);
  });
  const [first, second] = given as [number, number];
  assert.equal(first, 2_000);
  // Counted, the pause would leave at most 850 ms; the margin is for a busy machine.
  assert.ok(second <= 1_851 && second > 1_000, `the second wait was given ${second} ms`);
});

Deno.test("waits at the same time count once", async () => {
  const given: (number | null)[] = [];
  await runWithinStoreBudget(2_000, async () => {
    await Promise.all([waitFor(300, given), waitFor(300, given), waitFor(300, given)]);
    await waitFor(1, given);
  });
  const last = given.at(-1) as number;
  // Counted three times, they would leave at most 1,100 ms.
  assert.ok(last > 1_300 && last <= 1_701, `after three waits of 300 ms at once, ${last} ms left`);
});

Deno.test("a budget spent refuses the next wait without starting it", async () => {
  const given: (number | null)[] = [];
  await runWithinStoreBudget(100, async () => {
    await waitFor(120, given);
    await assert.rejects(
      waitFor(1, given),
      (error) =>
        error instanceof StoreUnavailableError &&
        error.message ===
          "Cannot wait for the database any longer: this request waited 100 ms already",
    );
  });
  assert.equal(given.length, 1, "the second wait never started");
});
